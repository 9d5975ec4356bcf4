import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { AccountUpdateSchema, updateAccount } from "../../lib/accounts/admin.ts";
import { UsernameParams } from "./_params.ts";

export const route = defineRoute({
  method: "PATCH",
  path: "/api/accounts/:username",
  role: "admin",
  bodyLimit: 16 * 1024,
  summary:
    "`{role?, password?, disabled?, mfa?: false}` → 204; a password reset sets must_change_pw; 409 last enabled admin",
  request: { params: UsernameParams, body: { json: AccountUpdateSchema } },
  responses: {
    204: "updated",
    400: "a field is invalid (nothing written)",
    404: "no such account",
    409: "cannot demote / disable the last enabled admin",
  },
  handler: async (c) => {
    await updateAccount(deps(c), caller(c), c.req.valid("param").username, c.req.valid("json"));
    return c.body(null, 204);
  },
});
export default standalone(route);
