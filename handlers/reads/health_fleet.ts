import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { fleetHealth } from "../../lib/reads/health.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/health/fleet",
  role: "viewer",
  summary: "fleet health; 200 ok/unknown, 503 degraded with the same JSON body",
  handler: async (c) => {
    const h = await fleetHealth(deps(c));
    return c.json(h, h.status === "degraded" ? 503 : 200);
  },
});

export default standalone(route);
