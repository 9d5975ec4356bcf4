import { caller, defineRoute, deps, readDocument } from "../route.ts";
import { standalone } from "../standalone.ts";
import { upsertSchedule } from "../../scheduler/api.ts";

export const route = defineRoute({
  method: "POST",
  path: "/api/schedules",
  role: "operator",
  summary:
    "Create/replace a schedule (JSON or YAML; `when:` or legacy `cron` shape): strict keys, validate() rules and a known job_id (400); mirrors YAML; audit schedule_upsert",
  handler: async (c) => c.json(await upsertSchedule(deps(c), await readDocument(c), caller(c))),
});
export default standalone(route);
