import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { getAgent } from "../../lib/reads/agents.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/agents/:pc_id",
  role: "viewer",
  summary: "one agent row; 404",
  handler: async (c) => {
    const d = deps(c);
    return c.json(await getAgent(d.db, c.req.param("pc_id") ?? "", d.config.aliveWindowSecs));
  },
});

export default standalone(route);
