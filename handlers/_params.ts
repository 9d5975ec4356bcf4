/** Path-parameter helpers shared by the handler folders (400 on an unusable id). */
import type { Ctx } from "./route.ts";
import { checkId } from "../lib/fleet/scopes.ts";

/** A pc id used in KV keys (groups, config scopes). */
export const pcParam = (c: Ctx): string => checkId("pc_id", c.req.param("pc_id") ?? "");
/** A pc id used only in subjects or SQL (ping, logs, perf): any subject token. */
export const pcTokenParam = (c: Ctx): string =>
  checkId("pc_id", c.req.param("pc_id") ?? "", { kv: false });
export const groupParam = (c: Ctx, name = "name"): string =>
  checkId("group", c.req.param(name) ?? "");
