/**
 * One due tick of one schedule, as its own task: claim the tick (KV `scheduler_dispatch`,
 * see marks.ts), fire it through `runTick`, mark the claim done. Both the claim and a fire
 * that failed before anything reached an agent are retried (util/retry.ts: 100 ms doubling
 * to 1 s) while the tick is still due; a claim held by another scheduler is looked at
 * again every second until its fire is over or its claim goes stale. Where a tick's
 * decision depends on the previous one (dedup modes, `max_concurrent`) the fires of one
 * schedule run one after the other, in claim order.
 */
import type { Logger } from "../lib/log.ts";
import { pause, retryWhile } from "../util/retry.ts";
import { isWhenShape } from "../wire/schedule.ts";
import { type Claimer, claimIsOurs, claimTick, finishClaim } from "./marks.ts";
import { runTick, type TickContext, type TickOutcome } from "./tick.ts";
import type { Entry } from "./registry.ts";

/** How often a tick claimed by another scheduler is looked at again. */
const CLAIM_WATCH_MS = 1000;

/** Backoff of a tick's claim and fire retries: 100 ms doubling to 1 s, inside the deadline. */
const BACKOFF = { firstPauseMs: 100, maxPauseMs: 1_000 } as const;

export interface TickTaskEnv {
  ctx: TickContext;
  holder: string;
  /** A claim not done this long after it was made is taken over (its claimer died). */
  leaseTtlMs: number;
  /** Aborted when the engine stops: no further attempt, no further wait. */
  signal: AbortSignal;
  /** Per schedule id: the tail of its serialized fires. */
  chains: Map<string, Promise<void>>;
  onTick?: (scheduleId: string, tickMs: number, outcome: TickOutcome) => void;
}

/** A fire that must be run again (nothing reached an agent); carries its outcome. */
class FireAgain extends Error {
  constructor(readonly outcome: TickOutcome & { fired: false }) {
    super(outcome.reason);
  }
}

/** Another scheduler took the claim over while this one was retrying: it fires the tick. */
class ClaimTakenOver extends Error {}

function needsOrder(e: Entry): boolean {
  if (e.terms.mode === "once_per_pc" || e.terms.mode === "once_per_target") return true;
  return isWhenShape(e.schedule) && typeof e.schedule.constraints?.max_concurrent === "number";
}

export async function runTickTask(
  env: TickTaskEnv,
  e: Entry,
  tickMs: number,
  deadline: number,
  log: Logger,
): Promise<void> {
  const id = e.schedule.id;
  const kv = env.ctx.dispatchKv;
  // One nonce per tick task, kept across retries: a retried claim recognises its own
  // earlier create whose reply was lost.
  const claimer = { holder: env.holder, nonce: crypto.randomUUID() };
  // A claim not done a lease lifetime after it was made: its claimer died (or stalled)
  // before the fire was over. Taking it over is safe: the fire is the same Command.
  const opts = { takeOverAfterMs: env.leaseTtlMs };
  for (;;) {
    let state: Awaited<ReturnType<typeof claimTick>>;
    try {
      state = await retryWhile(() => claimTick(kv, id, tickMs, claimer, opts), {
        ...BACKOFF,
        transient: () => true, // a claim request that failed (timeout, election): ask again
        until: deadline,
        signal: env.signal,
        onRetry: (err, _pause, attempt) =>
          log.info("tick claim failed; retrying", {
            attempt: attempt - 1,
            err: String((err as Error)?.message ?? err),
          }),
      });
    } catch (err) {
      log.warn("tick claim failed past its deadline; dropped", {
        err: String((err as Error)?.message ?? err),
      });
      return;
    }
    if (state === "ours") break;
    if (state === "took") {
      log.info("tick claim taken over: its claimer did not finish it within the lease");
      break;
    }
    if (state === "done") return log.debug("tick already handled by another scheduler");
    // Held by another claimer: a poll of its progress (not a retry: nothing failed), until
    // its fire is over or its claim is stale.
    if (env.signal.aborted || Date.now() + CLAIM_WATCH_MS > deadline) {
      return log.info("tick claimed by another scheduler, not done by its deadline");
    }
    await pause(CLAIM_WATCH_MS, env.signal);
    if (env.signal.aborted) return;
  }
  // The claim is ours: it is fired even if the lease lapsed meanwhile. Serialized per
  // schedule where one fire's decision needs the last.
  const fire = () => fireClaimed(env, e, tickMs, deadline, claimer, log);
  let finish: boolean;
  if (!needsOrder(e)) finish = await fire();
  else {
    const prev = env.chains.get(id) ?? Promise.resolve();
    const mine = prev.then(fire, fire);
    const tail = mine.then(() => {}, () => {});
    env.chains.set(id, tail);
    try {
      finish = await mine;
    } finally {
      if (env.chains.get(id) === tail) env.chains.delete(id);
    }
  }
  // Done (outside the chain: the next fire need not wait for it): nobody takes the claim
  // over any more. If this write fails, a later take-over repeats the same Command.
  if (!finish) return;
  await finishClaim(kv, id, tickMs, claimer).catch((err) =>
    log.info("tick claim not marked done", { err: String((err as Error)?.message ?? err) })
  );
}

/** Fires a claimed tick (retrying inside its deadline); false if the claim was taken over. */
async function fireClaimed(
  env: TickTaskEnv,
  e: Entry,
  tickMs: number,
  deadline: number,
  claimer: Claimer,
  log: Logger,
): Promise<boolean> {
  const report = (o: TickOutcome) => env.onTick?.(e.schedule.id, tickMs, o);
  if (Date.now() > deadline + 1_000) {
    // Waited behind earlier fires of this schedule past its due time.
    log.info("claimed tick fell past its deadline before its turn; dropped");
    report({ fired: false, reason: "missed" });
    return true;
  }
  let outcome: TickOutcome;
  try {
    outcome = await retryWhile(async (attempt) => {
      if (
        attempt > 1 &&
        await claimIsOurs(env.ctx.dispatchKv, e.schedule.id, tickMs, claimer) === false
      ) throw new ClaimTakenOver();
      const o = await runTick(env.ctx, {
        schedule: e.schedule,
        terms: e.terms,
        revision: e.revision,
        tickMs,
      });
      if (!o.fired && o.retry) throw new FireAgain(o);
      return o;
    }, {
      ...BACKOFF,
      transient: (err) => err instanceof FireAgain,
      until: deadline,
      signal: env.signal,
      onRetry: (err, _pause, attempt) =>
        log.info("tick fire failed before dispatch; retrying", {
          attempt: attempt - 1,
          reason: (err as FireAgain).outcome.reason,
        }),
    });
  } catch (err) {
    if (err instanceof ClaimTakenOver) {
      // Retried so long that another scheduler took the claim over: it fires the tick.
      log.info("tick claim taken over by another scheduler; this one stops");
      report({ fired: false, reason: "claim taken over" });
      return false;
    }
    if (!(err instanceof FireAgain)) throw err;
    log.warn("tick fire failed past its deadline; dropped", { reason: err.outcome.reason });
    outcome = err.outcome;
  }
  report(outcome);
  return true;
}
