/**
 * The text of a result whose output overflowed into the `result_output` object store
 * (protocol: large stdout/stderr travel as an object key). Read before the batch's
 * transaction (the results projector's `prepare`).
 *
 * A missing object is empty text at once (as upstream). A broker that does not answer (a
 * fleet-wide burst) is retried for `budgetMs`; still unanswered, the read says so (null) and
 * the projector redelivers that one message later instead of projecting empty text: the
 * output exists and must not be lost to a busy minute. After `giveUp` the text is given up.
 *
 * A read whose chunks stop coming is given up after `idleMs` and tried again. Why: every
 * agent reached by one `commands.all` or group publish shares its `request_id`, so agents
 * whose output overflows write the same key (`<request_id>/stdout`, protocol.md §2, §3.3); each
 * write replaces the object and purges the previous one's chunks. A read that found the
 * previous description then waits for chunks that no longer exist — nats.js waits forever,
 * which held the results projector's batch, and so every later result, indefinitely (seen
 * at 100,000 agents). A fresh attempt finds the current object.
 */
import type { ObjectStore } from "@nats-io/obj";
import type { Deps } from "../lib/deps.ts";
import { OBJECT_STORE } from "../wire/names.ts";
import { retryWhile, withTimeout } from "../util/retry.ts";

/** The object store answered: there is no such object (retrying will not help). */
class ObjectMissing extends Error {}
/** No chunk came for `idleMs`: the read is abandoned (its consumer stopped) and retried. */
class ReadStalled extends Error {}

/** Longest wait for the description or for the next chunk of an object. */
export const READ_IDLE_MS = 5_000;

/** One read of `key`: its bytes, null when there is no such object; throws when stalled. */
async function readObject(
  store: ObjectStore,
  key: string,
  idleMs: number,
): Promise<Uint8Array | null> {
  const reading = store.get(key);
  const got = await withTimeout(reading, idleMs);
  if (got === undefined) {
    // Should the read still start, its chunk consumer is stopped then.
    reading.then((r) => r?.data.cancel(), () => {}).catch(() => {});
    throw new ReadStalled(`no description of ${key} within ${idleMs} ms`);
  }
  if (got === null) return null;
  got.error.catch(() => {}); // awaited below; a stalled read must not leave it unhandled
  const reader = got.data.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const r = await withTimeout(reader.read(), idleMs);
      if (r === undefined) throw new ReadStalled(`no chunk of ${key} within ${idleMs} ms`);
      if (r.done) break;
      parts.push(r.value);
      size += r.value.byteLength;
    }
  } catch (e) {
    // Cancelling stops the chunk consumer, so an abandoned read leaves no subscription.
    await reader.cancel().catch(() => {});
    throw e;
  }
  const err = await got.error;
  if (err) throw err;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

export async function fetchObject(
  deps: Pick<Deps, "nats" | "log">,
  key: string,
  opts: { budgetMs?: number; giveUp?: boolean; idleMs?: number } = {},
): Promise<string | null> {
  try {
    const data = await retryWhile(async () => {
      const store = await deps.nats.obj(OBJECT_STORE.resultOutput);
      const blob = await readObject(store, key, opts.idleMs ?? READ_IDLE_MS);
      if (!blob) throw new ObjectMissing("object not found");
      return blob;
    }, {
      transient: (e) => !(e instanceof ObjectMissing),
      until: Date.now() + (opts.budgetMs ?? 30_000),
      firstPauseMs: 250,
      maxPauseMs: 4_000,
    });
    return new TextDecoder().decode(data); // lossy UTF-8, as upstream
  } catch (e) {
    if (!(e instanceof ObjectMissing) && !opts.giveUp) {
      deps.log.warn("overflow output unavailable, result redelivered later", { key, err: e });
      return null;
    }
    deps.log.warn("overflow output unavailable, projecting empty text", { key, err: e });
    return "";
  }
}

/** Both overflow texts of one result ("" without an object; null: not readable yet). */
export interface Overflow {
  out: string | null;
  err: string | null;
}

/** The overflow texts of one result, both objects read at once. */
export async function fetchOverflow(
  deps: Pick<Deps, "nats" | "log">,
  keys: { stdoutObject: string | null; stderrObject: string | null },
  giveUp: boolean,
): Promise<Overflow> {
  const [out, err] = await Promise.all([
    keys.stdoutObject ? fetchObject(deps, keys.stdoutObject, { giveUp }) : "",
    keys.stderrObject ? fetchObject(deps, keys.stderrObject, { giveUp }) : "",
  ]);
  return { out, err };
}
