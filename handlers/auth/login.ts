import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { login, LoginSchema, SessionSchema } from "../../lib/accounts/sessions.ts";
import { clientAddress } from "./_client.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/auth/login",
  role: "public",
  bodyLimit: 16 * 1024,
  summary:
    "Password sign-in → `{token, role, must_change_pw, exp}`; `code` when MFA is on; 401 invalid credentials, 429 + Retry-After when throttled",
  request: { body: { json: LoginSchema } },
  responses: {
    200: { json: SessionSchema },
    401: "invalid credentials, or mfa code required",
    429: { description: "too many failures", headers: { "retry-after": "seconds to wait" } },
    503: "password sign-in not configured (no KANADE_JWT_SECRET)",
  },
  handler: async (c) => c.json(await login(deps(c), c.req.valid("json"), clientAddress(c))),
});
export default standalone(route);
