import { z } from "zod";
import { caller, defineRoute, deps, readJson } from "../route.ts";
import { standalone } from "../standalone.ts";
import { createAccount } from "../../lib/accounts/admin.ts";

const Body = z.object({
  username: z.string().max(1024),
  password: z.string().max(4096),
  role: z.string().max(64),
});

export const route = defineRoute({
  method: "POST",
  path: "/api/accounts",
  role: "admin",
  bodyLimit: 16 * 1024,
  summary: "Create an account `{username, password, role}` → 201; 409 username already exists",
  handler: async (c) => {
    await createAccount(deps(c), caller(c), await readJson(c, Body));
    return c.body(null, 201);
  },
});
export default standalone(route);
