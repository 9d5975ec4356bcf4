import { caller, defineRoute, deps, readJson } from "../route.ts";
import { z } from "zod";
import { standalone } from "../standalone.ts";
import { setFreeze } from "../../scheduler/api.ts";

export const route = defineRoute({
  method: "PUT",
  path: "/api/freeze",
  role: "operator",
  summary:
    "Set the fleet freeze {from?, until?, reason?, tz}; {} = indefinitely; bounds validated (400); audit freeze_set",
  handler: async (c) =>
    c.json(await setFreeze(deps(c), await readJson(c, z.unknown(), { emptyOk: true }), caller(c))),
});
export default standalone(route);
