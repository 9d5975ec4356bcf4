import { z } from "zod";
import { defineRoute, deps, readQuery } from "../route.ts";
import { standalone } from "../standalone.ts";
import { listTransitions } from "../../lib/checks/reads.ts";
import { limitParam, optText } from "../../lib/reads/params.ts";

const Query = z.object({ pc_id: optText, check: optText, limit: limitParam(200, 5000) });

export const route = defineRoute({
  method: "GET",
  path: "/api/checks/transitions",
  role: "viewer",
  summary:
    "Check status changes, newest first: `{transitions[{pc_id, check_name, label, from_status, to_status, detail, recorded_at}]}`; pc_id, check, limit 1..5000 (200)",
  handler: async (c) => c.json(await listTransitions(deps(c).db, readQuery(c, Query))),
});
export default standalone(route);
