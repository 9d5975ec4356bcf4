import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { changePassword, ChangePasswordSchema } from "../../lib/accounts/sessions.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/auth/change-password",
  role: "viewer",
  bodyLimit: 16 * 1024,
  allowPendingPasswordChange: true,
  summary:
    "Change your own password → 204; earlier tokens stop working, the new one is in `X-Kanade-Token`",
  request: { body: { json: ChangePasswordSchema } },
  responses: {
    204: { description: "changed", headers: { "x-kanade-token": "a fresh session token" } },
    400: "new password too short (min 8 chars); the caller has no account",
    401: "old password incorrect",
    429: "too many failures for this account",
  },
  handler: async (c) => {
    const session = await changePassword(deps(c), caller(c), c.req.valid("json"));
    return c.body(null, 204, { "x-kanade-token": session.token });
  },
});
export default standalone(route);
