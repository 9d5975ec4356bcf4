/** Path-parameter helpers shared by the fleet handlers (400 on an unusable id). */
import type { Ctx } from "../route.ts";
import { checkId } from "../../lib/fleet/scopes.ts";

export const pcParam = (c: Ctx): string => checkId("pc_id", c.req.param("pc_id") ?? "");
export const groupParam = (c: Ctx, name = "name"): string =>
  checkId("group", c.req.param(name) ?? "");
