import { z } from "zod";
import { caller, defineRoute, deps, readJson } from "../route.ts";
import { standalone } from "../standalone.ts";
import { changePassword } from "../../lib/accounts/sessions.ts";

const Body = z.object({
  old_password: z.string().max(4096),
  new_password: z.string().max(4096),
});

export const route = defineRoute({
  method: "POST",
  path: "/api/auth/change-password",
  role: "viewer",
  bodyLimit: 16 * 1024,
  allowPendingPasswordChange: true,
  summary:
    "Change your own password → 204; earlier tokens stop working, the new one is in `X-Kanade-Token`",
  handler: async (c) => {
    const session = await changePassword(deps(c), caller(c), await readJson(c, Body));
    return c.body(null, 204, { "x-kanade-token": session.token });
  },
});
export default standalone(route);
