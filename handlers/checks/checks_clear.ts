import { z } from "zod";
import { caller, defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { clearCheck } from "../../lib/checks/service.ts";
import { optText } from "../../lib/reads/params.ts";

export const route = defineRoute({
  method: "DELETE",
  path: "/api/checks/:name",
  role: "operator",
  summary:
    "Clear the stored status of a check (`?pc_id=` one PC): `{deleted}` (0 too); audit check_clear",
  request: { params: z.object({ name: z.string() }), query: z.object({ pc_id: optText }) },
  responses: {
    200: { json: z.object({ deleted: z.number().int().nonnegative() }) },
    400: "blank check name",
  },
  handler: async (c) =>
    c.json(
      await clearCheck(deps(c), c.req.valid("param").name, c.req.valid("query").pc_id, caller(c)),
    ),
});
export default standalone(route);
