import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { BACKEND_VERSION, IMPLEMENTATION } from "../../lib/version.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/version",
  role: "public",
  summary:
    "`{version}` of the backend protocol level; `auth_disabled` and `password_sign_in` tell the dashboard how to sign in",
  responses: {
    200: {
      json: z.strictObject({
        version: z.string().meta({ description: "the upstream backend release this matches" }),
        implementation: z.string(),
        auth_disabled: z.boolean().meta({
          description: "KANADE_AUTH_DISABLE: every caller is admin, nobody signs in",
        }),
        password_sign_in: z.boolean().meta({
          description: "POST /api/auth/login works (KANADE_JWT_SECRET is set)",
        }),
      }),
    },
  },
  handler: (c) =>
    c.json({
      version: BACKEND_VERSION,
      implementation: IMPLEMENTATION,
      auth_disabled: deps(c).config.authDisable,
      password_sign_in: Boolean(deps(c).config.jwtSecret),
    }),
});
export default standalone(route);
