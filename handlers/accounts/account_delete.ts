import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { deleteAccount } from "../../lib/accounts/admin.ts";
import { usernameParam } from "./_params.ts";

export const route = defineRoute({
  method: "DELETE",
  path: "/api/accounts/:username",
  role: "admin",
  summary: "Delete an account → 204; 404 no such account; 409 the last enabled admin",
  handler: async (c) => {
    await deleteAccount(deps(c), caller(c), usernameParam(c));
    return c.body(null, 204);
  },
});
export default standalone(route);
