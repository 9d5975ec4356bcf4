import { z } from "zod";
import { caller, defineRoute, deps, readQuery } from "../route.ts";
import { standalone } from "../standalone.ts";
import { clearCheck } from "../../lib/checks/service.ts";
import { optText } from "../../lib/reads/params.ts";

const Query = z.object({ pc_id: optText });

export const route = defineRoute({
  method: "DELETE",
  path: "/api/checks/:name",
  role: "operator",
  summary:
    "Clear the stored status of a check (`?pc_id=` one PC): `{deleted}` (0 too); audit check_clear",
  handler: async (c) =>
    c.json(
      await clearCheck(deps(c), c.req.param("name") ?? "", readQuery(c, Query).pc_id, caller(c)),
    ),
});
export default standalone(route);
