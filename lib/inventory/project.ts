/**
 * Inventory projection of successful results (backend.md §5.1 step 5), run inside the
 * results batch transaction: facts snapshot, scalar history, explode tables and their
 * history. Each result works inside its own SAVEPOINT: whatever fails there is rolled
 * back to it, logged and skipped, so the result row and the execution counters of the
 * batch still commit and the stream never stalls on a bad payload.
 *
 * Ordering: a result older than the stored snapshot (`collected_at`) changes nothing —
 * neither facts, explode rows nor history — so a late or replayed result never
 * overwrites newer facts. History rows carry the result's `finished_at` as observed_at,
 * so re-projecting the stream rebuilds the same history.
 */
import type { Logger } from "../log.ts";
import { quoteIdent } from "./spec.ts";
import type { ExplodeTableSpec } from "./spec.ts";
import { diffScalars, type ExplodeRow, type HistoryEvent, planExplode } from "./diff.ts";
import { ensureExplodeTables, type SqlExec, throttled } from "./tables.ts";

/** What the projection needs from a manifest's `inventory` hint (see manifest_cache.ts). */
export interface InventoryHintFacts {
  display: unknown;
  summary: unknown;
  explode?: ExplodeTableSpec[];
  historyScalars?: string[];
}

/** The fields of a results row the inventory projection reads. */
export interface InventoryResult {
  result_id: string;
  pc_id: string;
  job_id: string | null;
  exit_code: number;
  stdout: string;
  finished_at: string;
  recorded_at: string;
}

export interface InventoryStats {
  projected: number;
  stale: number;
  failed: number;
  events: number;
}

const once = throttled();

const FACTS_UPSERT = `INSERT INTO inventory_facts
    (pc_id, job_id, facts_json, display_json, summary_json, collected_at, recorded_at)
  VALUES (?,?,?,?,?,?,?)
  ON CONFLICT(pc_id, job_id) DO UPDATE SET
    facts_json = excluded.facts_json, display_json = excluded.display_json,
    summary_json = excluded.summary_json, collected_at = excluded.collected_at,
    recorded_at = excluded.recorded_at
  WHERE inventory_facts.collected_at IS NULL
     OR excluded.collected_at >= inventory_facts.collected_at`;

/** Prior snapshots of `[[pc, job, wantFacts]]`: facts text only where scalar history needs it. */
const PRIOR_FACTS = `SELECT f.pc_id, f.job_id, f.collected_at,
    CASE WHEN j.value ->> 2 THEN f.facts_json END AS facts_json
  FROM json_each(?) j JOIN inventory_facts f
    ON f.pc_id = j.value ->> 0 AND f.job_id = j.value ->> 1`;

const HISTORY_INSERT = `INSERT INTO inventory_history
    (pc_id, job_id, field_path, identity_json, change_kind, before_json, after_json, observed_at)
  SELECT ?, ?, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, ?
  FROM json_each(?)`;

const explodeInsert = (s: ExplodeTableSpec) =>
  `INSERT OR IGNORE INTO ${quoteIdent(s.table)} ("pc_id", "job_id", "collected_at", ${
    s.columns.map((c) => quoteIdent(c.name)).join(", ")
  }) SELECT ?, ?, ?, ${s.columns.map((_, i) => `value ->> ${i}`).join(", ")} FROM json_each(?)`;

/**
 * The PC's stored rows as ONE JSON text `[[rowid, cells...], ...]`: one string to parse
 * instead of hundreds of row objects from the driver (the re-scan's main read cost).
 * Integers beyond 2^53 come back as the nearest double, as the incoming JSON is parsed.
 */
const explodeSelect = (s: ExplodeTableSpec) =>
  `SELECT json_group_array(json_array(rowid, ${
    s.columns.map((c) => quoteIdent(c.name)).join(", ")
  })) FROM ${quoteIdent(s.table)} WHERE "pc_id" = ? AND "job_id" = ?`;

const explodeDelete = (s: ExplodeTableSpec) =>
  `DELETE FROM ${quoteIdent(s.table)} WHERE "pc_id" = ? AND "job_id" = ?`;

const explodeDeleteRows = (s: ExplodeTableSpec) =>
  `DELETE FROM ${quoteIdent(s.table)} WHERE rowid IN (SELECT value FROM json_each(?))`;

const explodeTouch = (s: ExplodeTableSpec) =>
  `UPDATE ${quoteIdent(s.table)} SET "collected_at" = ?
   WHERE "pc_id" = ? AND "job_id" = ? AND "collected_at" IS NOT ?`;

interface Prior {
  factsJson: string | null;
  collectedAt: string | null;
}

const pairKey = (pc: string, job: string) => `${pc}\u0000${job}`;

function parseFacts(stdout: string): Record<string, unknown> | string {
  let v: unknown;
  try {
    v = JSON.parse(stdout);
  } catch (e) {
    return `inventory stdout is not JSON: ${(e as Error).message}`;
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) {
    return "inventory stdout is not one JSON object";
  }
  return v as Record<string, unknown>;
}

function parsePrior(json: string | null): Record<string, unknown> | null {
  if (json === null) return null;
  const v = parseFacts(json);
  return typeof v === "string" ? null : v;
}

/**
 * Step 5 for the written rows of one batch (in arrival order). `hint(job_id)` gives the
 * job's inventory hint, undefined when the job has none.
 */
export async function projectInventory(
  tx: SqlExec,
  rows: InventoryResult[],
  hint: (jobId: string) => InventoryHintFacts | undefined,
  log: Logger,
): Promise<InventoryStats> {
  const stats: InventoryStats = { projected: 0, stale: 0, failed: 0, events: 0 };
  const work: { r: InventoryResult & { job_id: string }; h: InventoryHintFacts }[] = [];
  for (const r of rows) {
    if (r.exit_code !== 0 || !r.job_id) continue;
    const h = hint(r.job_id);
    if (h) work.push({ r: r as InventoryResult & { job_id: string }, h });
  }
  if (!work.length) return stats;

  const usable = await ensureTables(tx, work.flatMap((w) => w.h.explode ?? []), log);

  const prior = new Map<string, Prior>();
  const pairs = new Map<string, [string, string, number]>();
  for (const { r, h } of work) {
    pairs.set(pairKey(r.pc_id, r.job_id), [r.pc_id, r.job_id, h.historyScalars?.length ? 1 : 0]);
  }
  const rs = await tx.execute({ sql: PRIOR_FACTS, args: [JSON.stringify([...pairs.values()])] });
  for (const p of rs.rows) {
    prior.set(pairKey(String(p.pc_id), String(p.job_id)), {
      factsJson: p.facts_json as string | null,
      collectedAt: p.collected_at as string | null,
    });
  }

  for (const { r, h } of work) {
    const ids = { result_id: r.result_id, pc_id: r.pc_id, job_id: r.job_id };
    const facts = parseFacts(r.stdout);
    if (typeof facts === "string") {
      log.warn(`${facts}; facts not updated`, ids);
      continue;
    }
    const key = pairKey(r.pc_id, r.job_id);
    const before = prior.get(key);
    if (before?.collectedAt && r.finished_at < before.collectedAt) {
      stats.stale++;
      log.debug("inventory result older than the stored snapshot: not projected", {
        ...ids,
        finished_at: r.finished_at,
        stored: before.collectedAt,
      });
      continue;
    }
    await tx.execute("SAVEPOINT inventory_result");
    try {
      const n = await projectOne(tx, r, h, facts, before, usable, log);
      await tx.execute("RELEASE inventory_result");
      prior.set(key, { factsJson: r.stdout.trim(), collectedAt: r.finished_at });
      stats.projected++;
      stats.events += n;
    } catch (e) {
      await tx.execute("ROLLBACK TO inventory_result");
      await tx.execute("RELEASE inventory_result");
      stats.failed++;
      log.warn("inventory projection failed; result kept, inventory skipped", { ...ids, err: e });
    }
  }
  return stats;
}

/** Ensure once per batch, isolated: a DDL failure only disables the tables it concerns. */
async function ensureTables(
  tx: SqlExec,
  specs: ExplodeTableSpec[],
  log: Logger,
): Promise<Map<string, string | null>> {
  if (!specs.length) return new Map();
  await tx.execute("SAVEPOINT inventory_ddl");
  try {
    const usable = await ensureExplodeTables(tx, specs);
    await tx.execute("RELEASE inventory_ddl");
    for (const [table, err] of usable) {
      if (err && once(err)) {
        log.warn("explode table unusable; its rows are not written", { table, err });
      }
    }
    return usable;
  } catch (e) {
    await tx.execute("ROLLBACK TO inventory_ddl");
    await tx.execute("RELEASE inventory_ddl");
    log.warn("explode tables could not be prepared; explode rows skipped this batch", { err: e });
    return new Map(specs.map((s) => [s.table.toLowerCase(), String(e)]));
  }
}

async function projectOne(
  tx: SqlExec,
  r: InventoryResult & { job_id: string },
  h: InventoryHintFacts,
  facts: Record<string, unknown>,
  before: Prior | undefined,
  usable: Map<string, string | null>,
  log: Logger,
): Promise<number> {
  const events: HistoryEvent[] = [];
  if (h.historyScalars?.length) {
    events.push(...diffScalars(parsePrior(before?.factsJson ?? null), facts, h.historyScalars));
  }
  const writes: { sql: string; args: (string | null)[] }[] = [{
    sql: FACTS_UPSERT,
    args: [
      r.pc_id,
      r.job_id,
      r.stdout.trim(),
      JSON.stringify(h.display ?? []),
      h.summary == null ? null : JSON.stringify(h.summary),
      r.finished_at,
      r.recorded_at,
    ],
  }];
  const inserts: { at: number; spec: ExplodeTableSpec; expected: number }[] = [];
  for (const spec of h.explode ?? []) {
    if (usable.get(spec.table.toLowerCase()) !== null) continue;
    // Read once per (PC, table): the diff needs it for history and for a minimal write.
    const p = await tx.execute({ sql: explodeSelect(spec), args: [r.pc_id, r.job_id] });
    const rowids = new Map<ExplodeRow, number>();
    const prior = (JSON.parse(String(p.rows[0]?.[0] ?? "[]")) as ExplodeRow[]).map((row) => {
      const cells = row.slice(1);
      rowids.set(cells, Number(row[0]));
      return cells;
    });
    const plan = planExplode(spec, facts[spec.field], prior);
    if (plan.skippedNonObjects || plan.duplicates) {
      log.debug("explode elements skipped", {
        result_id: r.result_id,
        table: spec.table,
        non_objects: plan.skippedNonObjects,
        duplicate_keys: plan.duplicates,
      });
    }
    events.push(...plan.events);
    // A re-scan usually changes a few rows: delete and insert only those and stamp the
    // rest with the new collected_at (no index is touched). A large change rewrites all.
    const rewrite = (plan.upserts.length + plan.stale.length) * 2 > plan.rows.length;
    const insertRows = rewrite ? plan.rows : plan.upserts;
    if (rewrite) {
      writes.push({ sql: explodeDelete(spec), args: [r.pc_id, r.job_id] });
    } else if (plan.stale.length) {
      writes.push({
        sql: explodeDeleteRows(spec),
        args: [JSON.stringify(plan.stale.map((x) => rowids.get(x)))],
      });
    }
    if (insertRows.length) {
      inserts.push({ at: writes.length, spec, expected: insertRows.length });
      writes.push({
        sql: explodeInsert(spec),
        args: [r.pc_id, r.job_id, r.finished_at, JSON.stringify(insertRows)],
      });
    }
    if (!rewrite) {
      writes.push({
        sql: explodeTouch(spec),
        args: [r.finished_at, r.pc_id, r.job_id, r.finished_at],
      });
    }
  }
  if (events.length) {
    writes.push({
      sql: HISTORY_INSERT,
      args: [
        r.pc_id,
        r.job_id,
        r.finished_at,
        JSON.stringify(
          events.map((e) => [
            e.field_path,
            e.identity_json,
            e.change_kind,
            e.before_json,
            e.after_json,
          ]),
        ),
      ],
    });
  }
  const results = await tx.batch(writes);
  for (const ins of inserts) {
    const written = results[ins.at].rowsAffected;
    if (written < ins.expected) {
      // The rows were deduplicated by key already; what is left is a key the column
      // affinity made equal (e.g. 1 and "1.0" in an INTEGER key): skipped, as upstream.
      log.warn("explode rows skipped on key collision", {
        result_id: r.result_id,
        pc_id: r.pc_id,
        table: ins.spec.table,
        skipped: ins.expected - written,
      });
    }
  }
  return events.length;
}
