/**
 * What one heartbeat costs the projector's write: the real upsert with its fleet revision
 * and the table's indexes, into a 100,000-agent `agents` table, in batches of 3,333 (one
 * second of a 100,000-agent fleet at 30 s beats). `applyHeartbeats` (one statement per batch,
 * the rows as one JSON parameter) against the same upsert as multi-row VALUES lists of 200
 * rows (what it was before), same schema, same heartbeats, alternated in one run.
 */
import type { BenchRow, BenchSuite } from "./types.ts";
import { loadAvg, median, shuffledRange } from "./types.ts";
import { type TempDb, tempDb } from "../tests/helpers/db.ts";
import { loadMigrations, migrate } from "../db/migrate.ts";
import { type Db, inWriteTx } from "../db/client.ts";
import type { Transaction } from "@libsql/client";
import {
  AGENTS_ON_CONFLICT,
  applyHeartbeats,
  newestPerPc,
  type ProjectedHeartbeat,
} from "../projectors/heartbeat.ts";
import { insertRows } from "../projectors/batch.ts";
import { nowDb } from "../wire/time.ts";
import type { Heartbeat } from "../wire/messages.ts";
import { prng } from "../simulator/util.ts";

const BATCH_DEFAULT = 3_333;

type Write = (tx: Transaction, items: ProjectedHeartbeat[]) => Promise<unknown>;

/** The baseline: the same upsert as 200-row VALUES lists, a statement prepared per 200 beats. */
async function applyHeartbeatsValues(tx: Transaction, items: ProjectedHeartbeat[]) {
  const rows = newestPerPc(items);
  if (rows.length === 0) return;
  const revRs = await tx.execute("SELECT rev FROM agents_rev_now");
  const rev = Number(revRs.rows[0]?.rev ?? 0) + 1;
  const now = nowDb();
  await insertRows(
    tx,
    `INSERT INTO agents (pc_id, hostname, last_heartbeat, agent_version, os_family, updated_at,
       agent_cpu_pct, agent_rss_bytes, agent_disk_read_bytes, agent_disk_written_bytes, rev)`,
    rows.map((h) => [
      h.pc_id,
      h.hostname ?? null,
      h.atDb ?? h.at,
      h.agent_version,
      h.os_family ?? null,
      now,
      h.agent_cpu_pct ?? null,
      h.agent_rss_bytes ?? null,
      h.agent_disk_read_bytes ?? null,
      h.agent_disk_written_bytes ?? null,
      rev,
    ]),
    AGENTS_ON_CONFLICT,
  );
}

export const suite: BenchSuite = {
  name: "heartbeat_write",
  async run(ctx) {
    const agents = ctx.quick ? 10_000 : 100_000;
    const perRound = ctx.quick ? 10_000 : 40_000;
    const rounds = ctx.quick ? 1 : 3;
    const all = await loadMigrations();
    const writers: { label: string; write: Write }[] = [
      { label: "one JSON-parameter statement", write: applyHeartbeats },
      { label: "200-row VALUES statements (before)", write: applyHeartbeatsValues },
    ];
    const dbs: TempDb[] = [];
    let us: number[][];
    try {
      for (const _ of writers) {
        const t = await tempDb({ migrate: false });
        dbs.push(t);
        await migrate(t.db, all);
      }
      ({ us } = await timeHeartbeatWrites(dbs.map((t) => t.db), {
        agents,
        perRound,
        rounds,
        writes: writers.map((w) => w.write),
        log: (k, r, v) =>
          ctx.log(`round ${r + 1} ${writers[k].label}: ${v.toFixed(1)} µs per heartbeat`),
      }));
    } finally {
      for (const t of dbs) await t.close();
    }
    const load = loadAvg();
    const ratio = median(us[1]) / median(us[0]);
    return writers.map((w, k): BenchRow => ({
      name: `heartbeat write into ${agents} agents, ${w.label}: per heartbeat`,
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
    /** The write per database (default `applyHeartbeats` for each). */
    writes?: Write[];
  },
): Promise<{ us: number[][]; walFrames: number[][] }> {
  const { agents, perRound, rounds } = opts;
  const writeOf = (k: number): Write => opts.writes?.[k] ?? applyHeartbeats;
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
  for (const [k, db] of dbs.entries()) {
    for (let i = 0; i < agents; i += batchSize) {
      const n = Math.min(batchSize, agents - i);
      await inWriteTx(db, (tx) => writeOf(k)(tx, beats(n, (j) => i + j)));
    }
  }
  // One whole cycle first, so every agent's previous beat is where the turn left it.
  for (const [k, db] of dbs.entries()) {
    for (let done = 0; done < agents; done += batchSize) {
      const batch = beats(batchSize, () => order[turn[k]++ % agents]);
      await inWriteTx(db, (tx) => writeOf(k)(tx, batch));
    }
  }
  for (let r = 0; r < rounds; r++) {
    for (const [k, db] of dbs.entries()) {
      const t0 = performance.now();
      for (let done = 0; done < perRound; done += batchSize) {
        const batch = beats(batchSize, () => order[turn[k]++ % agents]);
        await inWriteTx(db, (tx) => writeOf(k)(tx, batch));
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
      await inWriteTx(db, (tx) => writeOf(k)(tx, batch));
      walFrames[k].push(Number((await db.execute("PRAGMA wal_checkpoint(PASSIVE)")).rows[0][1]));
      await db.execute("PRAGMA wal_checkpoint(TRUNCATE)");
    }
  }
  return { us, walFrames };
}
