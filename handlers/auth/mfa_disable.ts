import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { mfaDisable, MfaDisableSchema } from "../../lib/accounts/mfa.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/auth/mfa/disable",
  role: "viewer",
  bodyLimit: 16 * 1024,
  summary: "Turn your MFA off with a current code → 204",
  request: { body: { json: MfaDisableSchema } },
  responses: {
    204: "disabled",
    400: "invalid code, or MFA not enabled",
    429: "too many failures for this account",
  },
  handler: async (c) => {
    await mfaDisable(deps(c), caller(c), c.req.valid("json"));
    return c.body(null, 204);
  },
});
export default standalone(route);
