import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { fleetHealth, FleetHealthSchema } from "../../lib/reads/health.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/health/fleet",
  role: "viewer",
  summary: "fleet health; 200 ok/unknown, 503 degraded with the same JSON body",
  responses: {
    200: { description: "ok or unknown (no agents yet)", json: FleetHealthSchema },
    503: { description: "degraded: the same body, status `degraded`", json: FleetHealthSchema },
  },
  handler: async (c) => {
    const h = await fleetHealth(deps(c));
    return c.json(h, h.status === "degraded" ? 503 : 200);
  },
});
export default standalone(route);
