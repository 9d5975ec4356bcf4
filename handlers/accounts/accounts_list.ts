import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { listAccounts } from "../../lib/accounts/admin.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/accounts",
  role: "admin",
  summary:
    "accounts by username: `{username, role, disabled, must_change_pw, mfa, created_at, updated_at}` (never a hash)",
  handler: async (c) => c.json(await listAccounts(deps(c))),
});
export default standalone(route);
