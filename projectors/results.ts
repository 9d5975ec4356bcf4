/**
 * results projector: `RESULTS` → `execution_results` (+ executions counters, inventory
 * facts). Per batch, in one transaction: read the current state of every result_id in
 * the batch, decide per message (insert finished / finish in-flight / finish reaped
 * without counting / no-op when already finished), upsert, then bump each parent
 * execution once with the batch's fresh successes and failures. Side projections of the
 * written rows (inventory facts, check status) follow in savepoints of their own.
 */
import type { Transaction } from "@libsql/client";
import type { Deps } from "../lib/deps.ts";
import { z } from "zod";
import { ExecResultSchema } from "../wire/messages.ts";
import { CONSUMER, STREAM } from "../wire/names.ts";
import { fastDbTs } from "./fast_ts.ts";
import { chunks } from "./batch.ts";
import {
  type ResultRowIn,
  rowJson,
  rowsParams,
  SELECT_EXISTING,
  UPSERT_CHUNK_ROWS,
  upsertJsonSql,
} from "./results_sql.ts";
import { fetchOverflow, type Overflow } from "./result_output.ts";
import {
  type ChangeNotice,
  type Item,
  type JsProjectorSpec,
  MAX_DELIVERIES,
} from "./jetstream_projector.ts";
import type { ManifestCache, ManifestFacts } from "./manifest_cache.ts";
import { checkHints, inventoryHints, packRows, ResultsWriter } from "./results_writer.ts";
import { projectInventory } from "../lib/inventory/project.ts";
import { type CheckChanges, NO_CHECK_CHANGES, projectChecks } from "../lib/checks/project.ts";
import { addCountsStatements } from "../lib/exec/lifecycle.ts";
import { reportCommitted, type ResultsProgress } from "./results_progress.ts";
import { legacyResultId } from "./legacy_result_id.ts";

const td = new TextDecoder();
export interface ExistingRow {
  finished_at: string | null;
  reaped: number;
  exec_id: string | null;
}

export interface ResultPlan {
  /** Rows to upsert (inserted or finishing an unfinished/reaped row). */
  write: ResultRowIn[];
  /** Rows whose counters must move (fresh, not previously reaped). */
  counted: ResultRowIn[];
  /** Per parent execution: fresh successes and failures in this batch. */
  counters: Map<string, { success: number; failure: number }>;
}

/** Pure decision for one batch, in arrival order (the first result for an id wins). */
export function planResults(rows: ResultRowIn[], existing: Map<string, ExistingRow>): ResultPlan {
  const seen = new Set<string>();
  const plan: ResultPlan = { write: [], counted: [], counters: new Map() };
  for (const r of rows) {
    if (seen.has(r.result_id)) continue;
    seen.add(r.result_id);
    const ex = existing.get(r.result_id);
    let count: boolean;
    if (!ex) count = true;
    else if (ex.reaped === 1) count = false; // the reaper already counted a failure
    else if (ex.finished_at === null) count = true;
    else continue; // already finished: redelivery
    plan.write.push(r);
    if (!count) continue;
    plan.counted.push(r);
    const execId = r.exec_id ?? ex?.exec_id ?? null;
    if (!execId) continue;
    const c = plan.counters.get(execId) ?? { success: 0, failure: 0 };
    if (r.exit_code === 0) c.success++;
    else c.failure++;
    plan.counters.set(execId, c);
  }
  return plan;
}

interface Decoded {
  row: ResultRowIn;
  stdoutObject: string | null;
  stderrObject: string | null;
  /** The overflow texts, read from the moment the message arrived; `read` once settled. */
  outputs?: Promise<Overflow>;
  read?: boolean;
}

/**
 * ExecResult (protocol.md §4.2) as the projection reads it: timestamps validated and
 * rendered as DB text in one pass (hot path: every result).
 */
const ResultWireSchema = ExecResultSchema.extend({
  // validated (and rendered) once by fastDbTs() (= dbTs) below instead of a refine pass
  started_at: z.string(),
  finished_at: z.string(),
});

/** `row.recorded_at` stays "" here: the engine knows the publish time (set before writing). */
export function decodeResult(data: Uint8Array): Decoded {
  const r = ResultWireSchema.parse(JSON.parse(td.decode(data)));
  return {
    row: {
      result_id: r.result_id || legacyResultId(r.request_id, r.pc_id),
      request_id: r.request_id,
      exec_id: r.exec_id ?? null,
      pc_id: r.pc_id,
      exit_code: r.exit_code,
      stdout: r.stdout,
      stderr: r.stderr,
      started_at: fastDbTs(r.started_at), // throws on a bad timestamp → poison
      finished_at: fastDbTs(r.finished_at),
      job_id: r.manifest_id ?? null,
      recorded_at: "",
    },
    stdoutObject: r.stdout_object ?? null,
    stderrObject: r.stderr_object ?? null,
  };
}

type Ctx = Pick<Deps, "db" | "log" | "nats">;

/** A written batch: its plan, and what the check projection changed. */
export interface AppliedResults extends ResultPlan {
  checks: CheckChanges;
}

/** Writes a decided batch; shared by the projector and the benchmark baseline. */
export async function applyResults(
  tx: Transaction,
  rows: ResultRowIn[],
  ctx: {
    log: Deps["log"];
    manifests?: { get(id: string): Pick<ManifestFacts, "inventory" | "check"> | undefined };
  },
): Promise<AppliedResults> {
  const existing = new Map<string, ExistingRow>();
  const ids = [...new Set(rows.map((r) => r.result_id))];
  // Set-based: the batch travels as ONE JSON parameter (SQLite unpacks it with
  // json_each), far cheaper than thousands of bound parameters in a VALUES list.
  for (const part of chunks(ids, 5_000)) {
    const rs = await tx.execute({ sql: SELECT_EXISTING, args: [JSON.stringify(part)] });
    for (const r of rs.rows) {
      existing.set(String(r.result_id), {
        finished_at: r.finished_at as string | null,
        reaped: Number(r.reaped),
        exec_id: r.exec_id as string | null,
      });
    }
  }
  const plan = planResults(rows, existing);
  const stmts = [];
  const upsert = plan.write.length ? await upsertJsonSql(tx) : "";
  for (const part of chunks(plan.write, UPSERT_CHUNK_ROWS)) {
    stmts.push({ sql: upsert, args: rowsParams(part) });
  }
  stmts.push(...addCountsStatements(plan.counters));
  if (stmts.length) await tx.batch(stmts);
  // After the results and counters: inventory and check failures roll back to their own
  // savepoints.
  const manifests = ctx.manifests;
  if (!manifests) return { ...plan, checks: NO_CHECK_CHANGES };
  await projectInventory(
    tx,
    plan.write,
    (id) => manifests.get(id)?.inventory ?? undefined,
    ctx.log,
  );
  const checks = await projectChecks(tx, plan.write, (id) => manifests.get(id)?.check, ctx.log);
  return { ...plan, checks };
}

function noticesOf(
  written: number,
  resultIds: string[],
  execIds: string[],
  checks: CheckChanges,
): ChangeNotice[] {
  const notices: ChangeNotice[] = [];
  if (written) notices.push({ kind: "result", count: written, result_ids: resultIds });
  if (execIds.length) notices.push({ kind: "execution", exec_ids: execIds });
  if (checks.written) notices.push({ kind: "check", ...checks });
  return notices;
}

export interface ResultsSpecOptions {
  /**
   * The database file to write from a dedicated writer thread (must be the database of
   * `deps.db`). Only `file:` URLs; otherwise batches are written on `deps.db` in-thread.
   */
  dbUrl?: string;
  /** Log level of the writer thread (it does not share the main thread's setting). */
  logLevel?: string;
  /** Told after each committed batch (the events projector waits on it in a burst). */
  progress?: ResultsProgress;
}

export function resultsSpec(
  deps: Ctx,
  manifests: ManifestCache | undefined,
  durable: string = CONSUMER.results,
  opts: ResultsSpecOptions = {},
): JsProjectorSpec<Decoded> {
  const init = { dbUrl: opts.dbUrl ?? "", busyTimeoutMs: 20_000, logLevel: opts.logLevel };
  const writer = init.dbUrl.startsWith("file:") ? new ResultsWriter(init, deps.db) : null;
  const rowsOf = (items: Item<Decoded>[]) =>
    items.map((it) => {
      it.value.row.recorded_at = it.recordedAt;
      return it.value.row;
    });
  const readOutputs = (it: Item<Decoded>) =>
    fetchOverflow(deps, it.value, (it.msg.info?.deliveryCount ?? 1) >= MAX_DELIVERIES);
  return {
    name: "results",
    stream: STREAM.results,
    durable,
    // With the writer thread and group commit, batches only grow this large under load;
    // large batches amortise the commit (index pages rewritten once per batch).
    batchSize: writer ? 10_000 : undefined,
    // The next full batch is rendered and packed while the writer thread commits this one;
    // the thread (and the write gate before it) still applies one batch at a time.
    overlap: writer ? 2 : undefined,
    decode: decodeResult,
    // Overflow objects are read from arrival on, and a read still running when its batch is
    // written leaves the batch for a later one (the engine's `pending`): one slow read (10.5 s
    // while the broker stored a fleet-wide burst) held a 9,054-result batch and all behind it.
    arrived(it: Item<Decoded>) {
      const v = it.value;
      if (v.stdoutObject || v.stderrObject) {
        v.outputs = readOutputs(it).finally(() => v.read = true);
      }
    },
    pending: (it) => it.value.outputs && !it.value.read ? it.value.outputs : undefined,
    async prepare(items: Item<Decoded>[]) {
      const later: Item<Decoded>[] = [];
      const overflowed = items.filter((it) => it.value.stdoutObject || it.value.stderrObject);
      await Promise.all(overflowed.map(async (it) => {
        const v = it.value;
        const { out, err } = await (v.outputs ??= readOutputs(it));
        if (out === null || err === null) return void later.push(it);
        if (v.stdoutObject) v.row.stdout = out;
        if (v.stderrObject) v.row.stderr = err;
      }));
      return later;
    },
    async apply(tx, items) {
      const plan = await applyResults(tx, rowsOf(items), { log: deps.log, manifests });
      // Told before the commit: a start event let through early is only written twice.
      reportCommitted(opts.progress, items);
      return noticesOf(
        plan.write.length,
        plan.write.slice(0, 100).map((r) => r.result_id),
        [...plan.counters.keys()].slice(0, 100),
        plan.checks,
      );
    },
    ...(writer
      ? {
        async commitBatch(items, rejects) {
          const rows = rowsOf(items);
          const inventory = inventoryHints(rows, manifests);
          const checks = checkHints(rows, manifests);
          // Rendered here: the main thread has spare time while the writer commits.
          const rendered = rows.map((r) => Object.assign(r, { json: rowJson(r) }));
          const packed = packRows(rendered, inventory, checks);
          const r = await writer.commit({ rows: packed, inventory, checks, rejects });
          reportCommitted(opts.progress, items);
          return noticesOf(r.written, r.resultIds, r.execIds, r.checks);
        },
        close: () => writer.close(),
      } satisfies Pick<JsProjectorSpec<Decoded>, "commitBatch" | "close">
      : {}),
  };
}
