import { defineRoute, deps, readQuery } from "../route.ts";
import { standalone } from "../standalone.ts";
import { AuditQuerySchema, listAudit } from "../../lib/reads/audit.ts";
export const route = defineRoute({
  method: "GET",
  path: "/api/audit",
  role: "viewer",
  summary:
    "audit log, newest first; substring filters actor/action/target/payload, since, limit 1..500",
  handler: async (c) => {
    const page = await listAudit(deps(c).db, readQuery(c, AuditQuerySchema));
    c.header("X-Total-Count", String(page.total));
    return c.json(page.rows);
  },
});

export default standalone(route);
