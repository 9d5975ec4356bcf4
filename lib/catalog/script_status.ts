/**
 * Revocation (KV `script_status`, raw `ACTIVE` / `REVOKED` values): agents skip a revoked
 * job's Commands with exit 126. Writes are idempotent and skip no-op puts.
 */
import { z } from "zod";
import type { Deps } from "../deps.ts";
import type { Caller } from "../auth.ts";
import { internal, unavailable } from "../errors.ts";
import { recordAudit } from "../audit.ts";
import { BUCKET, SCRIPT_STATUS_ACTIVE, SCRIPT_STATUS_REVOKED } from "../../wire/names.ts";
import { utf8 } from "../../wire/codec.ts";
import { kvSnapshot, openKvOrNull } from "../kv.ts";
import { checkJobId } from "./jobs.ts";

export type ScriptStatus = typeof SCRIPT_STATUS_ACTIVE | typeof SCRIPT_STATUS_REVOKED;

/** `{<id>: value}` sorted by id; `{}` when the bucket is missing. */
/** `{<job id>: "ACTIVE" | "REVOKED"}`, sorted by job id. */
export const ScriptStatusMapSchema = z.record(
  z.string(),
  z.enum([SCRIPT_STATUS_ACTIVE, SCRIPT_STATUS_REVOKED]),
);

export async function listScriptStatus(deps: Deps): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const v of await kvSnapshot(deps.nats, BUCKET.scriptStatus)) {
    out[v.key] = utf8(v.value).trim();
  }
  return out;
}

export async function setScriptStatus(
  deps: Deps,
  id: string,
  status: ScriptStatus,
  caller?: Caller | null,
): Promise<{ changed: boolean }> {
  checkJobId(id);
  const kv = await openKvOrNull(deps.nats, BUCKET.scriptStatus);
  if (!kv) throw unavailable("script_status bucket missing: run `kanade jetstream setup`");
  let changed = true;
  try {
    const cur = await kv.get(id);
    if (cur && cur.operation === "PUT" && utf8(cur.value).trim() === status) changed = false;
    else await kv.put(id, status);
  } catch (e) {
    throw internal(`script_status put: ${(e as Error).message}`, e);
  }
  await recordAudit(deps.nats, {
    action: status === SCRIPT_STATUS_REVOKED ? "script_revoke" : "script_unrevoke",
    target: id,
    payload: { status, changed },
  }, caller);
  return { changed };
}
