import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { agentVersions, AgentVersionSchema } from "../../lib/reads/agents.ts";
import { fleetView } from "../../lib/fleet/fleet_view.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/agents/versions",
  role: "viewer",
  summary: "agent versions: [{version, total, active}]",
  responses: { 200: { json: z.array(AgentVersionSchema) } },
  handler: async (c) => {
    const d = deps(c);
    const presence = await fleetView(d).presence();
    return c.json(await agentVersions(d.db, d.config.aliveWindowSecs, presence));
  },
});
export default standalone(route);
