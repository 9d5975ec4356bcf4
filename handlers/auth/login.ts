import { z } from "zod";
import { defineRoute, deps, readJson } from "../route.ts";
import { standalone } from "../standalone.ts";
import { login } from "../../lib/accounts/sessions.ts";
import { clientAddress } from "./_client.ts";

const Body = z.object({
  // Not trimmed (upstream): the name is matched as typed.
  username: z.string().max(1024),
  password: z.string().max(4096),
  code: z.string().max(64).optional(),
});

export const route = defineRoute({
  method: "POST",
  path: "/api/auth/login",
  role: "public",
  bodyLimit: 16 * 1024,
  summary:
    "Password sign-in → `{token, role, must_change_pw, exp}`; `code` when MFA is on; 401 invalid credentials, 429 + Retry-After when throttled",
  handler: async (c) => {
    const body = await readJson(c, Body);
    return c.json(await login(deps(c), body, clientAddress(c)));
  },
});
export default standalone(route);
