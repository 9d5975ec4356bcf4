import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { createAccount, CreateAccountSchema } from "../../lib/accounts/admin.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/accounts",
  role: "admin",
  bodyLimit: 16 * 1024,
  summary: "Create an account `{username, password, role}` → 201; 409 username already exists",
  request: { body: { json: CreateAccountSchema } },
  responses: {
    201: "created (empty body)",
    400: "username required; password too short (min 8 chars); role must be viewer/operator/admin",
    409: "username already exists",
  },
  handler: async (c) => {
    await createAccount(deps(c), caller(c), c.req.valid("json"));
    return c.body(null, 201);
  },
});
export default standalone(route);
