import { defineRoute, deps, readQuery } from "../route.ts";
import { standalone } from "../standalone.ts";
import { AgentsQuerySchema, listAgents } from "../../lib/reads/agents.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/agents",
  role: "viewer",
  summary:
    "agents; q, status=online|offline, version, limit, offset; X-Total-Count, X-Online-Count, X-Offline-Count",
  handler: async (c) => {
    const d = deps(c);
    const page = await listAgents(d.db, readQuery(c, AgentsQuerySchema), d.config.aliveWindowSecs);
    c.header("X-Total-Count", String(page.total));
    c.header("X-Online-Count", String(page.online));
    c.header("X-Offline-Count", String(page.offline));
    return c.json(page.rows);
  },
});

export default standalone(route);
