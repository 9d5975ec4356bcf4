import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { deleteAccount } from "../../lib/accounts/admin.ts";
import { UsernameParams } from "./_params.ts";

export const route = defineRoute({
  method: "DELETE",
  path: "/api/accounts/:username",
  role: "admin",
  summary: "Delete an account → 204; 404 no such account; 409 the last enabled admin",
  request: { params: UsernameParams },
  responses: {
    204: "deleted",
    404: "no such account",
    409: "cannot delete the last enabled admin",
  },
  handler: async (c) => {
    await deleteAccount(deps(c), caller(c), c.req.valid("param").username);
    return c.body(null, 204);
  },
});
export default standalone(route);
