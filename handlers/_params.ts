/**
 * Path-parameter rules shared by the handler folders (400 on an unusable id), applied to
 * the parameters the edge already parsed (`c.req.valid("param")`).
 */
import type { Ctx } from "./route.ts";
import { checkId } from "../lib/fleet/scopes.ts";

const param = (c: Ctx, name: string): string =>
  (c.req.valid("param") as Record<string, string> | undefined)?.[name] ?? "";

/** A pc id used in KV keys (groups, config scopes). */
export const pcParam = (c: Ctx): string => checkId("pc_id", param(c, "pc_id"));
/** A pc id used only in subjects or SQL (ping, logs, perf): any subject token. */
export const pcTokenParam = (c: Ctx): string => checkId("pc_id", param(c, "pc_id"), { kv: false });
export const groupParam = (c: Ctx, name = "name"): string => checkId("group", param(c, name));
