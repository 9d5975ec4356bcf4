import { z } from "zod";
import { caller, defineRoute, deps, readJson } from "../route.ts";
import { standalone } from "../standalone.ts";
import { updateAccount } from "../../lib/accounts/admin.ts";
import { usernameParam } from "./_params.ts";

const Body = z.object({
  role: z.string().max(64).optional(),
  password: z.string().max(4096).optional(),
  disabled: z.boolean().optional(),
  mfa: z.boolean().optional(),
});

export const route = defineRoute({
  method: "PATCH",
  path: "/api/accounts/:username",
  role: "admin",
  bodyLimit: 16 * 1024,
  summary:
    "`{role?, password?, disabled?, mfa?: false}` → 204; a password reset sets must_change_pw; 409 last enabled admin",
  handler: async (c) => {
    await updateAccount(deps(c), caller(c), usernameParam(c), await readJson(c, Body));
    return c.body(null, 204);
  },
});
export default standalone(route);
