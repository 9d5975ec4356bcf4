/**
 * Rollout status at fleet scale (issue 18), in process: the request path of
 * `GET /api/agents/rollout/status` (default query: every version, 1000 agents listed) over a
 * 100,000-agent presence, half of it in group `a`, with a few scopes. Same run, same inputs:
 *  - the old path: the pure `computeRolloutStatus` pass over the whole fleet per request;
 *  - the new path: the incrementally kept `RolloutView`.
 * Between calls 50 agents heartbeat (a few change version) untimed, so the view is read
 * while it follows changes; their apply time per batch is reported for both phases (the
 * view's upkeep is the difference). The view's first call (the one-pass build) is reported
 * apart. `deno task bench -- --only rollout [--quick]`.
 */
import assert from "node:assert/strict";
import type { BenchContext, BenchRow, BenchSuite } from "./types.ts";
import { loadAvg, median, percentile } from "./types.ts";
import { Memberships } from "../lib/fleet/memberships.ts";
import { Presence } from "../lib/fleet/presence.ts";
import {
  computeRolloutStatus,
  ROLLOUT_AGENTS_DEFAULT,
  type RolloutStatus,
  type ScopeEntry,
} from "../lib/fleet/rollout_status.ts";
import { RolloutView } from "../lib/fleet/rollout_view.ts";
import { dbTs } from "../wire/time.ts";

const ALIVE_SECS = 120;
const BATCH = 50;

const scopes: ScopeEntry[] = [
  { scope: { type: "global" }, value: { target_version: "1.0.0" } },
  { scope: { type: "group", value: "a" }, value: { target_version: "2.0.0" } },
  { scope: { type: "group", value: "b" }, value: { heartbeat_interval: "30s" } },
  { scope: { type: "pc", value: "PC000007" }, value: { target_version: "0.9.0" } },
  { scope: { type: "pc", value: "PC000008" }, value: { target_version: "0.9.0" } },
];

const pcId = (i: number) => `PC${String(i).padStart(6, "0")}`;

export const suite: BenchSuite = {
  name: "rollout",
  run(ctx: BenchContext): Promise<BenchRow[]> {
    const n = ctx.quick ? 10_000 : 100_000;
    const calls = ctx.quick ? 50 : 200;
    const presence = new Presence();
    const memberships = new Memberships();
    const now = Date.now();
    for (let i = 0; i < n; i++) {
      // 90 % alive (beat in the last minute), the rest gone for hours; 40 % upgraded.
      const hb = i % 10 === 9 ? now - 3_600_000 - i : now - (i % 60_000);
      presence.apply(pcId(i), dbTs(hb), i % 5 < 2 ? "2.0.0" : "1.0.0", pcId(i));
      memberships.set(pcId(i), i % 2 ? ["b"] : ["a"]);
    }
    ctx.log(`${n} agents, ${scopes.length} scopes, ${calls} calls per path (load ${loadAvg()})`);
    let beat = 0;
    /** 50 agents heartbeat; every 10th of them reports a new version. */
    const churn = () => {
      const t0 = performance.now();
      for (let k = 0; k < BATCH; k++, beat++) {
        const i = (beat * 7919) % n;
        const e = presence.get(pcId(i))!;
        const v = k % 10 ? e.version : (e.version === "2.0.0" ? "1.0.0" : "2.0.0");
        presence.apply(e.pcId, dbTs(Date.now()), v, e.hostname);
      }
      return performance.now() - t0;
    };
    const query = () => ({
      version: null,
      scopes,
      nowMs: Date.now(),
      aliveWindowSecs: ALIVE_SECS,
      agentsLimit: ROLLOUT_AGENTS_DEFAULT,
    });
    // The old request path, as rolloutStatus ran it: rows generated from the sorted presence.
    const oldPass = (q = query()) => {
      function* rows() {
        for (const e of presence.sortedEntries()) {
          yield {
            pc_id: e.pcId,
            hostname: e.hostname,
            agent_version: e.version,
            last_heartbeat: e.hb,
            hb_ms: e.hbMs,
          };
        }
      }
      return computeRolloutStatus({ ...q, memberships: memberships.all(), agents: rows() });
    };
    const time = (fn: () => unknown) => {
      const t0 = performance.now();
      fn();
      return performance.now() - t0;
    };

    const oldMs: number[] = [];
    const oldChurn: number[] = [];
    for (let c = 0; c < calls; c++) {
      oldChurn.push(churn());
      oldMs.push(time(() => oldPass()));
    }
    const view = new RolloutView(presence, memberships);
    const buildMs = time(() => view.status(query()));
    const newMs: number[] = [];
    const newChurn: number[] = [];
    for (let c = 0; c < calls; c++) {
      newChurn.push(churn());
      newMs.push(time(() => view.status(query())));
    }
    // Same answer on the same state (observed_at aside).
    const same = (s: RolloutStatus) => ({ ...s, observed_at: "" });
    const q = query();
    assert.deepEqual(same(view.status(q)), same(oldPass(q)));
    view.stop();

    const r1 = (x: number) => Math.round(x * 100) / 100;
    const row = (name: string, xs: number[], note: string): BenchRow => ({
      name,
      median: r1(median(xs)),
      unit: "ms",
      samples: xs.map(r1),
      target: "≤ 50 ms p95",
      ok: percentile(xs, 95) <= 50,
      note: `p95 ${r1(percentile(xs, 95))} ms; ${note}`,
    });
    const ratio = Math.round(median(oldMs) / median(newMs));
    return Promise.resolve([
      row(
        `rollout status, ${n} agents: old pure pass per request`,
        oldMs,
        `${BATCH} heartbeats applied between calls in ${r1(median(oldChurn))} ms (median)`,
      ),
      row(
        `rollout status, ${n} agents: incremental view`,
        newMs,
        `${ratio}x faster (median); first call builds it in ${r1(buildMs)} ms; ${BATCH} ` +
          `heartbeats applied between calls in ${r1(median(newChurn))} ms with its upkeep`,
      ),
    ]);
  },
};
