import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { mfaInit, MfaProposalSchema } from "../../lib/accounts/mfa.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/auth/mfa/init",
  role: "viewer",
  summary: "Propose a TOTP secret → `{secret, otpauth_url, qr_svg}`; nothing is stored",
  responses: {
    200: { json: MfaProposalSchema },
    400: "the caller has no account",
    503: "MFA not configured (no KANADE_MFA_KEY)",
  },
  handler: async (c) => c.json(await mfaInit(deps(c), caller(c))),
});
export default standalone(route);
