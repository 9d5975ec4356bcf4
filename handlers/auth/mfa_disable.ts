import { z } from "zod";
import { caller, defineRoute, deps, readJson } from "../route.ts";
import { standalone } from "../standalone.ts";
import { mfaDisable } from "../../lib/accounts/mfa.ts";

const Body = z.object({ code: z.string().max(64) });

export const route = defineRoute({
  method: "POST",
  path: "/api/auth/mfa/disable",
  role: "viewer",
  bodyLimit: 16 * 1024,
  summary: "Turn your MFA off with a current code → 204",
  handler: async (c) => {
    await mfaDisable(deps(c), caller(c), await readJson(c, Body));
    return c.body(null, 204);
  },
});
export default standalone(route);
