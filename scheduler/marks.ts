/**
 * KV `scheduler_dispatch`: the per-tick fire claim and the dispatch marks.
 *
 * - A fire claim (`tick.<len>.<id>.<ms>`) is created with `kv.create`, which succeeds for
 *   exactly one writer, so a tick fires once across the cluster even if two processes
 *   both believe they lead for a moment. It is marked done when its fire is over; one left
 *   unfinished (a claimer killed between claim and publish) is taken over (see due.ts).
 * - A dispatch mark (`pc.…` / `target.…`) says "fired here at `at`, in flight until
 *   `until`", so a short cron does not re-fire at a PC whose run has not reported yet.
 * The bucket's max age removes both kinds of entries on its own.
 */
import { dispatchKeyPc, dispatchKeyTarget, dispatchKeyTick } from "../wire/names.ts";
import { parseJsonBytes } from "../wire/codec.ts";
import { type KV, kvScan, kvSwap } from "../lib/kv.ts";
import { mapLimit } from "../lib/map_limit.ts";
import type { Mark } from "./policy.ts";
import { type Claimer, claimVerdict, type StoredClaim } from "./due.ts";

export type { Claimer } from "./due.ts";
import { wireTs } from "../wire/time.ts";

function claimValue(claimer: Claimer, tickMs: number, extra: Record<string, unknown> = {}) {
  const now = Date.now();
  return JSON.stringify({
    holder: claimer.holder,
    nonce: claimer.nonce,
    tick_at: wireTs(tickMs),
    claimed_at: wireTs(now),
    claimed_ms: now,
    ...extra,
  });
}

function readClaim(data: Uint8Array): StoredClaim | null {
  try {
    const v = parseJsonBytes(data);
    return v && typeof v === "object" ? v as StoredClaim : null;
  } catch {
    return null;
  }
}

export interface ClaimOptions {
  /** Take over a claim that is not done this long after it was made (default: never). */
  takeOverAfterMs?: number | null;
}

/**
 * `ours` when this caller holds the tick (it must fire it), `took` when it has just taken
 * over a stale claim (the same, and worth a log line); `held` while another claimer does; `done` when its fire is over (or the claim is gone). Throws on a transient error
 * (timeout, no responders): the caller retries with the same `claimer`.
 *
 * A retry after a timeout may find the key already there because the earlier `create`
 * was applied and only its reply was lost: the stored nonce tells whether the claim is
 * this task's own. A claim left unfinished past `takeOverAfterMs` is taken over with a
 * revision-checked update, which one claimer wins.
 */
export async function claimTick(
  kv: KV,
  scheduleId: string,
  tickMs: number,
  claimer: Claimer,
  opts: ClaimOptions = {},
): Promise<"ours" | "took" | "held" | "done"> {
  const key = dispatchKeyTick(scheduleId, tickMs);
  if (await kvSwap(kv, key, claimValue(claimer, tickMs), null) !== null) return "ours";
  const cur = await kv.get(key);
  const stored = cur && cur.operation === "PUT" ? readClaim(cur.value) : null;
  const verdict = claimVerdict(stored, claimer, Date.now(), opts.takeOverAfterMs ?? null);
  if (verdict !== "stale") return verdict;
  const took = await kvSwap(
    kv,
    key,
    claimValue(claimer, tickMs, { taken_from: stored?.holder }),
    cur!.revision,
  );
  return took === null ? "held" : "took"; // held: another claimer took it over first
}

/**
 * Marks this claimer's claim done (its fire is over), so nobody takes it over any more.
 * Revision-checked: a claim that was taken over meanwhile is left to its new claimer.
 * False when the claim is no longer this claimer's.
 */
export async function finishClaim(
  kv: KV,
  scheduleId: string,
  tickMs: number,
  claimer: Claimer,
): Promise<boolean> {
  const key = dispatchKeyTick(scheduleId, tickMs);
  const cur = await kv.get(key);
  const stored = cur && cur.operation === "PUT" ? readClaim(cur.value) : null;
  if (!stored || claimVerdict(stored, claimer, Date.now(), null) !== "ours") return false;
  return await kvSwap(kv, key, claimValue(claimer, tickMs, { done: true }), cur!.revision) !== null;
}

/** Whether the stored claim is still this claimer's (null when it cannot be read now). */
export async function claimIsOurs(
  kv: KV,
  scheduleId: string,
  tickMs: number,
  claimer: Claimer,
): Promise<boolean | null> {
  try {
    const cur = await kv.get(dispatchKeyTick(scheduleId, tickMs));
    const stored = cur && cur.operation === "PUT" ? readClaim(cur.value) : null;
    return stored?.holder === claimer.holder && stored?.nonce === claimer.nonce;
  } catch {
    return null;
  }
}

interface MarkValue {
  pc_id?: string;
  exec_id: string;
  at: string;
  until: string;
  at_ms: number;
  until_ms: number;
}

function markValue(m: Mark, execId: string, pcId?: string): string {
  const v: MarkValue = {
    ...(pcId === undefined ? {} : { pc_id: pcId }),
    exec_id: execId,
    at: wireTs(m.atMs),
    until: wireTs(m.untilMs),
    at_ms: m.atMs,
    until_ms: m.untilMs,
  };
  return JSON.stringify(v);
}

function decodeMark(data: Uint8Array): (Mark & { pcId?: string }) | null {
  try {
    const v = parseJsonBytes(data) as MarkValue;
    if (typeof v.at_ms !== "number" || typeof v.until_ms !== "number") return null;
    return { atMs: v.at_ms, untilMs: v.until_ms, pcId: v.pc_id };
  } catch {
    return null;
  }
}

export async function writePcMarks(
  kv: KV,
  scheduleId: string,
  pcs: readonly string[],
  mark: Mark,
  execId: string,
): Promise<void> {
  await mapLimit(
    pcs,
    64,
    (pc) => kv.put(dispatchKeyPc(scheduleId, pc), markValue(mark, execId, pc)),
  );
}

export async function writeTargetMark(
  kv: KV,
  scheduleId: string,
  mark: Mark,
  execId: string,
): Promise<void> {
  await kv.put(dispatchKeyTarget(scheduleId), markValue(mark, execId));
}

/** Every live per-PC mark of a schedule (loaded when a process becomes leader). */
export async function readPcMarks(kv: KV, scheduleId: string): Promise<Map<string, Mark>> {
  // `pc.<len>.<id>.<len>.<pc>`: the schedule's marks are the keys under `pc.<len>.<id>.`
  const prefix = dispatchKeyPc(scheduleId, "x").replace(/\.1\.x$/, "");
  const out = new Map<string, Mark>();
  for (const e of await kvScan(kv, { filter: `${prefix}.>` })) {
    const m = decodeMark(e.value);
    if (m?.pcId) out.set(m.pcId, { atMs: m.atMs, untilMs: m.untilMs });
  }
  return out;
}

export async function readTargetMark(kv: KV, scheduleId: string): Promise<Mark | null> {
  const e = await kv.get(dispatchKeyTarget(scheduleId));
  if (!e || e.operation !== "PUT") return null;
  const m = decodeMark(e.value);
  return m ? { atMs: m.atMs, untilMs: m.untilMs } : null;
}
