import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
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
    200: {
      json: z.array(AgentRowSchema),
      headers: {
        "X-Total-Count": "agents matching every filter",
        "X-Online-Count": "online agents matching q and version",
        "X-Offline-Count": "offline agents matching q and version",
      },
    },
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
    c.header("X-Total-Count", String(page.total));
    c.header("X-Online-Count", String(page.online));
    c.header("X-Offline-Count", String(page.offline));
    return c.json(page.rows);
  },
});
export default standalone(route);
