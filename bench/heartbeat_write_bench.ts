/**
 * What one heartbeat costs the projector's write: `applyHeartbeats` (the real upsert, its
 * fleet revision and the table's indexes) into a 100,000-agent `agents` table, in batches
 * of 3,333 (one second of a 100,000-agent fleet at 30 s beats). The current schema against
 * the one before migration 20261206051500 (indexes on last_heartbeat and on (updated_at,
 * pc_id) beside the one on rev), same heartbeats, alternated in one run.
 */
import type { BenchRow, BenchSuite } from "./types.ts";
import { loadAvg, median, shuffledRange } from "./types.ts";
import { type TempDb, tempDb } from "../tests/helpers/db.ts";
import { loadMigrations, migrate } from "../db/migrate.ts";
import { type Db, inWriteTx } from "../db/client.ts";
import { applyHeartbeats } from "../projectors/heartbeat.ts";
import type { Heartbeat } from "../wire/messages.ts";
import { prng } from "../simulator/util.ts";

const BEFORE = "20261206051500_agents_rev_order";
const BATCH_DEFAULT = 3_333;

export const suite: BenchSuite = {
  name: "heartbeat_write",
  async run(ctx) {
    const agents = ctx.quick ? 10_000 : 100_000;
    const perRound = ctx.quick ? 10_000 : 40_000;
    const rounds = ctx.quick ? 1 : 3;
    const all = await loadMigrations();
    const cut = all.findIndex((m) => m.name.startsWith(BEFORE));
    if (cut < 0) throw new Error(`migration ${BEFORE} not found`);
    const schemas = [
      { label: "current schema", migrations: all },
      { label: "before 20261206051500 (3 indexes)", migrations: all.slice(0, cut) },
    ];
    const dbs: TempDb[] = [];
    let us: number[][];
    try {
      for (const s of schemas) {
        const t = await tempDb({ migrate: false });
        dbs.push(t);
        await migrate(t.db, s.migrations);
      }
      ({ us } = await timeHeartbeatWrites(dbs.map((t) => t.db), {
        agents,
        perRound,
        rounds,
        log: (k, r, v) =>
          ctx.log(`round ${r + 1} ${schemas[k].label}: ${v.toFixed(1)} µs per heartbeat`),
      }));
    } finally {
      for (const t of dbs) await t.close();
    }
    const load = loadAvg();
    const ratio = median(us[1]) / median(us[0]);
    return schemas.map((s, k): BenchRow => ({
      name: `heartbeat write into ${agents} agents, ${s.label}: per heartbeat`,
      median: Number(median(us[k]).toFixed(1)),
      unit: "µs",
      samples: us[k].map((v) => Number(v.toFixed(1))),
      note:
        `batches of ${BATCH_DEFAULT}, agents in turn, ${perRound} beats a run, alternated; load ${load}` +
        (k === 0 ? `; ${ratio.toFixed(2)}× less than before` : ""),
    }));
  },
};

/**
 * Microseconds per heartbeat written into each of `dbs` (migrated, no agents yet), one list
 * per database: `agents` agents seeded, then `rounds` rounds of `perRound` beats, the
 * databases alternated within each round.
 */
export async function timeHeartbeatWrites(
  dbs: Db[],
  opts: {
    agents: number;
    perRound: number;
    rounds: number;
    log: (db: number, round: number, us: number) => void;
    /** Heartbeats a transaction (default 3,333). */
    batch?: number;
    /** After the timed rounds, this many more batches each, their WAL frames counted. */
    walBatches?: number;
  },
): Promise<{ us: number[][]; walFrames: number[][] }> {
  const { agents, perRound, rounds } = opts;
  const batchSize = opts.batch ?? BATCH_DEFAULT;
  const rand = prng(0x4eb);
  let clock = Date.parse("2026-12-06T00:00:00Z");
  const beats = (n: number, pick: (i: number) => number): Heartbeat[] =>
    Array.from({ length: n }, (_, i) => ({
      pc_id: `HW-${String(pick(i)).padStart(6, "0")}`,
      at: new Date(clock += 1).toISOString(),
      agent_version: "0.43.45",
      hostname: `host-${pick(i)}`,
      os_family: "windows",
      agent_cpu_pct: 0.4,
      agent_rss_bytes: 21_000_000,
      agent_disk_read_bytes: 1_000_000,
      agent_disk_written_bytes: 2_000_000,
    }));
  // Agents beat in turn, as a fleet at a fixed interval does: one batch is the agents whose
  // beat falls in that second, the next batch the next ones (a fixed random order). Their
  // previous index entries are then ~30 batches old and close together, as in the backend.
  const order = shuffledRange(agents, rand);
  const turn = dbs.map(() => 0);
  const us = dbs.map(() => [] as number[]);
  for (const db of dbs) {
    for (let i = 0; i < agents; i += batchSize) {
      const n = Math.min(batchSize, agents - i);
      await inWriteTx(db, (tx) => applyHeartbeats(tx, beats(n, (j) => i + j)));
    }
  }
  // One whole cycle first, so every agent's previous beat is where the turn left it.
  for (const [k, db] of dbs.entries()) {
    for (let done = 0; done < agents; done += batchSize) {
      const batch = beats(batchSize, () => order[turn[k]++ % agents]);
      await inWriteTx(db, (tx) => applyHeartbeats(tx, batch));
    }
  }
  for (let r = 0; r < rounds; r++) {
    for (const [k, db] of dbs.entries()) {
      const t0 = performance.now();
      for (let done = 0; done < perRound; done += batchSize) {
        const batch = beats(batchSize, () => order[turn[k]++ % agents]);
        await inWriteTx(db, (tx) => applyHeartbeats(tx, batch));
      }
      us[k].push((performance.now() - t0) * 1000 / perRound);
      opts.log(k, r, us[k].at(-1)!);
    }
  }
  // The WAL frames one batch adds: read by a passive checkpoint after it, then emptied.
  const walFrames = dbs.map(() => [] as number[]);
  for (const [k, db] of dbs.entries()) {
    await db.execute("PRAGMA wal_checkpoint(TRUNCATE)");
    for (let i = 0; i < (opts.walBatches ?? 0); i++) {
      const batch = beats(batchSize, () => order[turn[k]++ % agents]);
      await inWriteTx(db, (tx) => applyHeartbeats(tx, batch));
      walFrames[k].push(Number((await db.execute("PRAGMA wal_checkpoint(PASSIVE)")).rows[0][1]));
      await db.execute("PRAGMA wal_checkpoint(TRUNCATE)");
    }
  }
  return { us, walFrames };
}
