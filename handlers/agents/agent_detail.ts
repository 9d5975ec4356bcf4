import { defineRoute, deps, pathParams } from "../route.ts";
import { standalone } from "../standalone.ts";
import { AgentRowSchema, getAgent } from "../../lib/reads/agents.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/agents/:pc_id",
  role: "viewer",
  summary: "one agent row; 404",
  request: { params: pathParams("pc_id") },
  responses: { 200: { json: AgentRowSchema }, 404: "unknown agent" },
  handler: async (c) => {
    const d = deps(c);
    return c.json(await getAgent(d.db, c.req.valid("param").pc_id, d.config.aliveWindowSecs));
  },
});
export default standalone(route);
