import { defineRoute, deps, pagedResponse, sendPage } from "../route.ts";
import { standalone } from "../standalone.ts";
import { AgentRowSchema, AgentsQuerySchema, listAgents } from "../../lib/reads/agents.ts";
import { fleetView } from "../../lib/fleet/fleet_view.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/agents",
  role: "viewer",
  summary:
    "agents; q, status=online|offline, version, limit, offset; X-Total-Count, X-Online-Count, X-Offline-Count",
  request: { query: AgentsQuerySchema },
  responses: {
    200: pagedResponse(AgentRowSchema, "agents matching every filter", {
      "X-Online-Count": "online agents matching q and version",
      "X-Offline-Count": "offline agents matching q and version",
    }),
  },
  handler: async (c) => {
    const d = deps(c);
    const presence = await fleetView(d).presence();
    const page = await listAgents(
      d.db,
      c.req.valid("query"),
      d.config.aliveWindowSecs,
      Date.now(),
      presence,
    );
    return sendPage(c, page, { "X-Online-Count": page.online, "X-Offline-Count": page.offline });
  },
});
export default standalone(route);
