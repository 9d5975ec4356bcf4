import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { mfaVerify, MfaVerifySchema } from "../../lib/accounts/mfa.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/auth/mfa/verify",
  role: "viewer",
  bodyLimit: 16 * 1024,
  summary: "Enable MFA with a code of the proposed secret → 204 (`current_code` to replace one)",
  request: { body: { json: MfaVerifySchema } },
  responses: {
    204: "enabled",
    400: "invalid code, secret or current_code",
    429: "too many failures for this account",
    503: "MFA not configured (no KANADE_MFA_KEY)",
  },
  handler: async (c) => {
    await mfaVerify(deps(c), caller(c), c.req.valid("json"));
    return c.body(null, 204);
  },
});
export default standalone(route);
