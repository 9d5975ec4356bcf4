import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { listAccounts } from "../../lib/accounts/admin.ts";
import { AccountRowSchema } from "../../lib/accounts/model.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/accounts",
  role: "admin",
  summary:
    "accounts by username: `{username, role, disabled, must_change_pw, mfa, created_at, updated_at}` (never a hash)",
  responses: { 200: { json: z.array(AccountRowSchema) } },
  handler: async (c) => c.json(await listAccounts(deps(c))),
});
export default standalone(route);
