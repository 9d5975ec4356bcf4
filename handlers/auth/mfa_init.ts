import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { mfaInit } from "../../lib/accounts/mfa.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/auth/mfa/init",
  role: "viewer",
  summary: "Propose a TOTP secret → `{secret, otpauth_url, qr_svg}`; nothing is stored",
  handler: async (c) => c.json(await mfaInit(deps(c), caller(c))),
});
export default standalone(route);
