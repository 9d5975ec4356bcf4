/**
 * The scheduler entrypoint (`deno task scheduler`): starts the engine (engine.ts) and
 * returns it as a Component. Several processes may run it against one broker: a lease in
 * KV `kanade_leases` elects the one that fires, and per-tick claims make each tick fire
 * once. `KANADE_SCHEDULER_LEASE_SECS` tunes the lease (default 15 s; it is also the age after
 * which an unfinished tick claim of a dead leader is taken over). Ticks are independent
 * tasks on a short-timeout (2 s) JetStream view, retried while still due: within
 * `starting_deadline`, or within 5 s for a schedule without one (later ticks are dropped).
 * The leader also runs the operator alert engine (lib/alerts/engine.ts).
 */
import type { Deps } from "../lib/deps.ts";
import { type Component, component } from "../lib/component.ts";
import { SchedulerEngine, type SchedulerOptions } from "./engine.ts";
import { countTick, trackLeader } from "../lib/metrics.ts";
import { AlertEngine } from "../lib/alerts/engine.ts";

export type { SchedulerOptions } from "./engine.ts";
export { SchedulerEngine } from "./engine.ts";

export async function startScheduler(
  deps: Deps,
  opts: SchedulerOptions = {},
): Promise<Component & { engine: SchedulerEngine; alerts: AlertEngine }> {
  const engine = new SchedulerEngine(deps, {
    leaseTtlMs: deps.config.schedulerLeaseSecs ? deps.config.schedulerLeaseSecs * 1000 : undefined,
    ...opts,
    onTick: (id, tickMs, outcome) => {
      countTick(outcome);
      opts.onTick?.(id, tickMs, outcome);
    },
  });
  const untrack = trackLeader(engine.holder, () => engine.isLeader());
  try {
    await engine.start();
  } catch (e) {
    untrack();
    throw e;
  }
  // The operator alerts decide under the same lease (why: lib/alerts/engine.ts).
  const alerts = new AlertEngine(deps, {
    isLeader: () => engine.isLeader(),
    holder: engine.holder,
  });
  alerts.start();
  return {
    ...component("scheduler", async () => {
      try {
        await alerts.stop();
        await engine.stop();
      } finally {
        untrack();
      }
    }),
    engine,
    alerts,
  };
}
