import { z } from "zod";
import { caller, defineRoute, deps, readJson } from "../route.ts";
import { standalone } from "../standalone.ts";
import { mfaVerify } from "../../lib/accounts/mfa.ts";

const Body = z.object({
  secret: z.string().max(256),
  code: z.string().max(64),
  current_code: z.string().max(64).optional(),
});

export const route = defineRoute({
  method: "POST",
  path: "/api/auth/mfa/verify",
  role: "viewer",
  bodyLimit: 16 * 1024,
  summary: "Enable MFA with a code of the proposed secret → 204 (`current_code` to replace one)",
  handler: async (c) => {
    await mfaVerify(deps(c), caller(c), await readJson(c, Body));
    return c.body(null, 204);
  },
});
export default standalone(route);
