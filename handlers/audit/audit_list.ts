import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { AuditQuerySchema, AuditRowSchema, listAudit } from "../../lib/reads/audit.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/audit",
  role: "viewer",
  summary:
    "audit log, newest first; substring filters actor/action/target/payload, since, limit 1..500",
  request: { query: AuditQuerySchema },
  responses: {
    200: {
      json: z.array(AuditRowSchema),
      headers: { "X-Total-Count": "rows matching the filters" },
    },
  },
  handler: async (c) => {
    const page = await listAudit(deps(c).db, c.req.valid("query"));
    c.header("X-Total-Count", String(page.total));
    return c.json(page.rows);
  },
});
export default standalone(route);
