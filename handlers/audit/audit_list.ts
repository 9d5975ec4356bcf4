import { defineRoute, deps, pagedResponse, sendPage } from "../route.ts";
import { standalone } from "../standalone.ts";
import { AuditQuerySchema, AuditRowSchema, listAudit } from "../../lib/reads/audit.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/audit",
  role: "viewer",
  summary:
    "audit log, newest first; substring filters actor/action/target/payload, since, limit 1..500",
  request: { query: AuditQuerySchema },
  responses: { 200: pagedResponse(AuditRowSchema, "rows matching the filters") },
  handler: async (c) => sendPage(c, await listAudit(deps(c).db, c.req.valid("query"))),
});
export default standalone(route);
