import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { me, MeSchema } from "../../lib/accounts/sessions.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/auth/me",
  role: "viewer",
  allowPendingPasswordChange: true,
  summary:
    "`{username, role, must_change_pw, mfa}` of the caller (`service-token` / `auth-disabled` as admin)",
  responses: { 200: { json: MeSchema } },
  handler: async (c) => c.json(await me(deps(c), caller(c))),
});
export default standalone(route);
