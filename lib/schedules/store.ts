/**
 * The `schedules` / `schedules_yaml` / `fleet_config` KV operations shared by the schedules
 * API and the engine. Flag flips (enable, disable, auto-disable) are revision-checked
 * writes, so a concurrent edit is never overwritten (lesson #505 / PR #38 review).
 */
import YAML from "yaml";
import type { Nats } from "../nats.ts";
import { conflict } from "../errors.ts";
import { type KV, kvScan, kvSwap, openKv, openKvOrNull } from "../kv.ts";
import { BUCKET, KEY_FREEZE } from "../../wire/names.ts";
import { parseJsonBytes, utf8 } from "../../wire/codec.ts";
import { decodeSchedule, type Schedule } from "../../wire/schedule.ts";
import { encodeSchedule } from "../../wire/schedule_encode.ts";
import { encodeFreeze, type Freeze, isFrozen } from "../../wire/freeze.ts";

/** KV key alphabet (NATS KV: `[-/_=.a-zA-Z0-9]`, no leading/trailing or double dot). */
const KEY_RE = /^[-/_=a-zA-Z0-9]+(\.[-/_=a-zA-Z0-9]+)*$/;

export function scheduleIdError(id: string): string | null {
  if (id.length === 0) return "id must not be empty";
  if (id.length > 256 || !KEY_RE.test(id)) {
    return `id '${id}' is not a valid key (letters, digits, '-', '_', '=', '/', and single inner dots)`;
  }
  return null;
}

export interface StoredSchedule {
  schedule: Schedule;
  revision: number;
}

/** A stored entry as a schedule; "corrupt" when it does not decode. */
function decodeEntry(e: { value: Uint8Array; revision: number }): StoredSchedule | "corrupt" {
  let value: unknown;
  try {
    value = parseJsonBytes(e.value);
  } catch {
    return "corrupt";
  }
  const s = decodeSchedule(value);
  return s ? { schedule: s, revision: e.revision } : "corrupt";
}

/** The stored schedule, null when absent, "corrupt" when undecodable (callers log it). */
export async function readSchedule(kv: KV, id: string): Promise<StoredSchedule | null | "corrupt"> {
  const e = await kv.get(id);
  if (!e || e.operation !== "PUT") return null;
  return decodeEntry(e);
}

/** Every decodable schedule, sorted by id; undecodable entries are skipped. */
export async function listSchedules(nats: Nats): Promise<StoredSchedule[]> {
  const kv = await openKvOrNull(nats, BUCKET.schedules);
  if (!kv) return [];
  return (await kvScan(kv)).map(decodeEntry)
    .filter((g): g is StoredSchedule => g !== "corrupt")
    .sort((a, b) => (a.schedule.id < b.schedule.id ? -1 : a.schedule.id > b.schedule.id ? 1 : 0));
}

export async function putSchedule(nats: Nats, s: Schedule, rawYaml?: string): Promise<number> {
  const kv = await openKv(nats, BUCKET.schedules);
  const encoded = encodeSchedule(s);
  const rev = await kv.put(s.id, JSON.stringify(encoded));
  // The YAML mirror is best effort, as upstream: the JSON in `schedules` is the truth.
  try {
    const ykv = await openKv(nats, BUCKET.schedulesYaml);
    await ykv.put(s.id, rawYaml ?? YAML.stringify(encoded));
  } catch {
    // ignored on purpose
  }
  return rev;
}

export async function readScheduleYaml(nats: Nats, id: string): Promise<string | null> {
  const kv = await openKv(nats, BUCKET.schedules);
  const cur = await readSchedule(kv, id);
  if (cur === null) return null;
  try {
    const ykv = await openKv(nats, BUCKET.schedulesYaml);
    const e = await ykv.get(id);
    if (e && e.operation === "PUT") return utf8(e.value);
  } catch {
    // fall back to a rendering of the JSON
  }
  if (cur === "corrupt") {
    const e = await kv.get(id);
    return e ? utf8(e.value) : null;
  }
  return YAML.stringify(encodeSchedule(cur.schedule));
}

export async function deleteSchedule(nats: Nats, id: string): Promise<void> {
  const kv = await openKv(nats, BUCKET.schedules);
  await kv.delete(id);
  try {
    const ykv = await openKv(nats, BUCKET.schedulesYaml);
    await ykv.delete(id);
  } catch {
    // mirror only
  }
}

export type FlagResult =
  | { status: "missing" }
  | { status: "unchanged" | "changed"; schedule: Schedule; revision: number }
  | { status: "stale" };

/**
 * Flip `enabled` with a revision-checked update. With `expectRevision` (auto-disable) a
 * concurrent edit wins and the flip is dropped (`stale`); without it (API) the flip is
 * re-applied to the newest value, a few times, then 409.
 */
export async function setEnabled(
  kv: KV,
  id: string,
  enabled: boolean,
  opts: { expectRevision?: number } = {},
): Promise<FlagResult> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const cur = await readSchedule(kv, id);
    if (cur === null) return { status: "missing" };
    if (cur === "corrupt") throw conflict(`schedule '${id}' is stored undecodable; re-POST it`);
    if (opts.expectRevision !== undefined && cur.revision !== opts.expectRevision) {
      return { status: "stale" };
    }
    if (cur.schedule.enabled === enabled) {
      return { status: "unchanged", schedule: cur.schedule, revision: cur.revision };
    }
    const next = { ...cur.schedule, enabled } as Schedule;
    const rev = await kvSwap(kv, id, JSON.stringify(encodeSchedule(next)), cur.revision);
    if (rev !== null) return { status: "changed", schedule: next, revision: rev };
    if (opts.expectRevision !== undefined) return { status: "stale" };
  }
  throw conflict(`schedule '${id}' changed concurrently; retry`);
}

// ---------------------------------------------------------------- freeze

/** The stored freeze blob (decoded JSON, any shape) or null when none is set. */
export async function readFreezeValue(nats: Nats): Promise<{ value: unknown } | null> {
  const kv = await openKv(nats, BUCKET.fleetConfig);
  const e = await kv.get(KEY_FREEZE);
  if (!e || e.operation !== "PUT") return null;
  try {
    return { value: parseJsonBytes(e.value) };
  } catch {
    return { value: utf8(e.value) }; // not JSON: still "set", and isFrozen fails closed on it
  }
}

export async function putFreeze(nats: Nats, f: Freeze): Promise<Record<string, unknown>> {
  const kv = await openKv(nats, BUCKET.fleetConfig);
  const encoded = encodeFreeze(f);
  await kv.put(KEY_FREEZE, JSON.stringify(encoded));
  return encoded;
}

export async function clearFreeze(nats: Nats): Promise<void> {
  const kv = await openKv(nats, BUCKET.fleetConfig);
  await kv.delete(KEY_FREEZE);
}

/**
 * Engine check: `frozen`, `open`, or `unreadable` (the store did not answer). The engine
 * fails closed on `unreadable` (no fire) but may ask again while the tick is still due.
 */
export async function freezeState(
  nats: Nats,
  nowMs: number,
): Promise<"frozen" | "open" | "unreadable"> {
  let f: { value: unknown } | null;
  try {
    f = await readFreezeValue(nats);
  } catch {
    return "unreadable";
  }
  return f !== null && isFrozen(f.value, nowMs) ? "frozen" : "open";
}

/** Frozen now? Fails closed on an unreadable store or an unparseable blob. */
export async function frozenAt(nats: Nats, nowMs: number): Promise<boolean> {
  return (await freezeState(nats, nowMs)) !== "open";
}
