/**
 * Main-thread side of the results writer thread (results_writer_worker.ts). libSQL's
 * local calls are synchronous: on the main thread a 5,000-row commit would freeze NATS
 * consumption, decoding and acking for its whole duration. On a worker the two overlap
 * and, with the Batcher's group commit, batches grow with the load. Only for local
 * database files (a remote libSQL server is reached asynchronously anyway).
 */
import { type PlacedOutputs, placeOutputs, type ResultRowIn } from "./results_sql.ts";
import type { RejectRow } from "./rejects.ts";
import type { ManifestFacts } from "./manifest_cache.ts";
import type { CheckHintFacts } from "../lib/checks/hint.ts";
import type { CheckChanges } from "../lib/checks/project.ts";
import { type Db, withWriteLock } from "../db/client.ts";
import { onMemoryReturn } from "../lib/memory_return.ts";
import { withTimeout } from "../util/retry.ts";

export interface WriterInit {
  dbUrl: string;
  /** SQLite's own busy wait on the writer's connection (blocking only that thread). */
  busyTimeoutMs: number;
  logLevel?: string;
}

export interface WriterRequest {
  id: number;
  rows: PackedRows;
  /** The inventory hints of the batch's job ids (the manifest cache lives on the main thread). */
  inventory: [string, NonNullable<ManifestFacts["inventory"]>][];
  /** The fleet check hints of the batch's job ids. */
  checks: [string, CheckHintFacts][];
  rejects: RejectRow[];
}

export type WriterReply =
  | {
    id: number;
    ok: true;
    written: number;
    resultIds: string[];
    execIds: string[];
    checks: CheckChanges;
  }
  | { id: number; ok: false; message: string };

export type WriterResult = Extract<WriterReply, { ok: true }>;

/**
 * Asks the thread for a full collection of its own heap (lib/memory_return.ts); the answer
 * has the same id and whether the thread could collect.
 */
export interface WriterCollect {
  collect: number;
  gc?: boolean;
}

export class ResultsWriter {
  #worker: Worker | null = null;
  #pending = new Map<number, PromiseWithResolvers<WriterResult>>();
  #nextId = 1;
  #closed = false;
  #collects = new Map<number, (gc: boolean) => void>();
  #unregister: (() => void) | null = null;

  /** `gateOf`: the main thread's handle of the same file, whose write gate commits take. */
  constructor(private readonly init: WriterInit, private readonly gateOf: Db | null = null) {}

  #spawn(): Worker {
    const w = new Worker(new URL("./results_writer_worker.ts", import.meta.url).href, {
      type: "module",
    });
    w.onmessage = (ev: MessageEvent<WriterReply | WriterCollect>) => {
      const r = ev.data;
      if ("collect" in r) {
        this.#collects.get(r.collect)?.(r.gc === true);
        this.#collects.delete(r.collect);
        return;
      }
      const p = this.#pending.get(r.id);
      if (!p) return;
      this.#pending.delete(r.id);
      // Keep the DB's own message: the engine tells busy from other failures by it.
      if (r.ok) p.resolve(r);
      else p.reject(new Error(r.message));
    };
    w.onerror = (ev) => {
      ev.preventDefault();
      this.#fail(new Error(`results writer thread failed: ${ev.message}`));
    };
    w.postMessage({ init: this.init });
    // The thread's heap holds a burst's batches as garbage like the main one does.
    this.#unregister = onMemoryReturn(async () => void await this.collect());
    return w;
  }

  /**
   * The thread's own full collection, when its event loop next turns, and its page cache
   * given back after the batch in progress: true once it collected; false with no thread,
   * or no answer within 5 s (a long synchronous commit).
   */
  async collect(): Promise<boolean> {
    if (!this.#worker) return false;
    const id = this.#nextId++;
    const done = new Promise<boolean>((resolve) => this.#collects.set(id, resolve));
    this.#worker.postMessage({ collect: id } satisfies WriterCollect);
    const gc = await withTimeout(done, 5_000);
    this.#collects.delete(id);
    return gc === true;
  }

  /** A crashed thread: fail what was in flight (the engine naks it) and start afresh next time. */
  #fail(e: Error): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#unregister?.();
    this.#unregister = null;
    for (const done of this.#collects.values()) done(false);
    this.#collects.clear();
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }

  /**
   * One batch in one transaction on the thread's connection, queued with this process's
   * other writers of the file (db/write_gate.ts) instead of racing them in SQLite's busy
   * handler; a wait past the thread's busy timeout fails as busy (the engine naks).
   */
  commit(req: Omit<WriterRequest, "id">): Promise<WriterResult> {
    return withWriteLock(this.gateOf, () => this.#commit(req), this.init.busyTimeoutMs);
  }

  #commit(req: Omit<WriterRequest, "id">): Promise<WriterResult> {
    if (this.#closed) return Promise.reject(new Error("results writer is closed"));
    this.#worker ??= this.#spawn();
    const id = this.#nextId++;
    const p = Promise.withResolvers<WriterResult>();
    this.#pending.set(id, p);
    this.#worker.postMessage({ ...req, id } satisfies WriterRequest, {
      transfer: outputsTransfer(req.rows),
    });
    return p.promise;
  }

  /** Stops the thread; call after the last commit resolved. */
  close(): Promise<void> {
    this.#closed = true;
    this.#fail(new Error("results writer is closed"));
    return Promise.resolve();
  }
}

/**
 * A batch of result rows as it crosses to the writer thread: one array per field the writer
 * reads for every row, and the rest of a row only where inventory or a check reads it.
 * Why: the thread gets a structured clone of each request, paid on both threads; 10,000 row
 * objects of 13 fields cost 1.7x the same rows as five arrays (`deno task bench -- --only
 * writer_request`: 39.9 vs 23.6 ms per 10,000 rows, serialize + deserialize), on the main
 * thread that also decodes and acks.
 */
export interface PackedRows {
  /** Each row as its upsert element without its outputs (`rowJson`, by the main thread). */
  json: string[];
  /** The outputs, written for every row: one blob, transferred to the thread, not copied. */
  outputs: PlacedOutputs;
  resultIds: string[];
  execIds: (string | null)[];
  exitCodes: number[];
  jobIds: (string | null)[];
  /** Row index → the rest of the row (ids, times), which its inventory or check reads. */
  whole: [number, Omit<ResultRowIn, "stdout" | "stderr" | "json">][];
}

/**
 * The buffers a request moves to the thread instead of copying: its outputs' (packRows made
 * them for this request alone; the sender's views are empty afterwards).
 */
export function outputsTransfer(p: PackedRows): ArrayBuffer[] {
  return [p.outputs.blob.buffer as ArrayBuffer, p.outputs.at.buffer as ArrayBuffer];
}

/** Pure: rows (with `json` set) → PackedRows. Each field travels once. */
export function packRows(
  rows: (ResultRowIn & { json: string })[],
  inventory: WriterRequest["inventory"],
  checks: WriterRequest["checks"],
): PackedRows {
  const projected = new Set([...inventory, ...checks].map(([jobId]) => jobId));
  const p: PackedRows = {
    json: [],
    outputs: placeOutputs(rows),
    resultIds: [],
    execIds: [],
    exitCodes: [],
    jobIds: [],
    whole: [],
  };
  rows.forEach((r, i) => {
    p.json.push(r.json);
    p.resultIds.push(r.result_id);
    p.execIds.push(r.exec_id);
    p.exitCodes.push(r.exit_code);
    p.jobIds.push(r.job_id);
    if (r.job_id === null || !projected.has(r.job_id)) return;
    const { stdout: _o, stderr: _e, json: _j, ...rest } = r;
    p.whole.push([i, rest]);
  });
  return p;
}

/**
 * Pure: PackedRows → rows for `applyResults`. A row that is not whole has only what the
 * plan, the upsert (its `json` and outputs) and the counters read; the side projections
 * skip it (no hint for its job). Outputs stay in the blob (the upsert reads them there) and
 * become text only if something reads them.
 */
export function unpackRows(p: PackedRows): ResultRowIn[] {
  const whole = new Map(p.whole);
  return p.json.map((json, i) =>
    new PlacedRow(
      whole.get(i) ?? bareRow(p, i),
      json,
      { outputs: p.outputs, i },
    )
  );
}

/** Pure: what a row that is not whole carries besides its outputs. */
export function bareRow(
  p: Pick<PackedRows, "resultIds" | "execIds" | "exitCodes" | "jobIds">,
  i: number,
): Omit<ResultRowIn, "stdout" | "stderr" | "json" | "placed"> {
  return {
    result_id: p.resultIds[i],
    request_id: "",
    exec_id: p.execIds[i],
    pc_id: "",
    exit_code: p.exitCodes[i],
    started_at: "",
    finished_at: "",
    recorded_at: "",
    job_id: p.jobIds[i],
  };
}

const td = new TextDecoder();

/** A row of the writer thread: its outputs are bytes of the batch's blob until read. */
class PlacedRow implements ResultRowIn {
  result_id: string;
  request_id: string;
  exec_id: string | null;
  pc_id: string;
  exit_code: number;
  started_at: string;
  finished_at: string;
  recorded_at: string;
  job_id: string | null;

  constructor(
    rest: Omit<ResultRowIn, "stdout" | "stderr" | "json" | "placed">,
    readonly json: string,
    readonly placed: { outputs: PlacedOutputs; i: number },
  ) {
    this.result_id = rest.result_id;
    this.request_id = rest.request_id;
    this.exec_id = rest.exec_id;
    this.pc_id = rest.pc_id;
    this.exit_code = rest.exit_code;
    this.started_at = rest.started_at;
    this.finished_at = rest.finished_at;
    this.recorded_at = rest.recorded_at;
    this.job_id = rest.job_id;
  }

  get stdout(): string {
    return this.#text(0);
  }

  get stderr(): string {
    return this.#text(2);
  }

  #text(k: number): string {
    const { blob, at } = this.placed.outputs;
    const j = 4 * this.placed.i + k;
    return td.decode(blob.subarray(at[j], at[j] + at[j + 1]));
  }
}

/** Inventory hints needed by `rows` (successful runs of jobs whose manifest has one). */
export function inventoryHints(
  rows: ResultRowIn[],
  manifests: { get(id: string): ManifestFacts | undefined } | undefined,
): WriterRequest["inventory"] {
  if (!manifests) return [];
  const out = new Map<string, NonNullable<ManifestFacts["inventory"]>>();
  for (const r of rows) {
    if (r.exit_code !== 0 || !r.job_id || out.has(r.job_id)) continue;
    const inv = manifests.get(r.job_id)?.inventory;
    if (inv) out.set(r.job_id, inv);
  }
  return [...out];
}

/** Fleet check hints needed by `rows` (every exit code counts for a check). */
export function checkHints(
  rows: ResultRowIn[],
  manifests: { get(id: string): ManifestFacts | undefined } | undefined,
): WriterRequest["checks"] {
  if (!manifests) return [];
  const out = new Map<string, CheckHintFacts>();
  for (const r of rows) {
    if (!r.job_id || out.has(r.job_id)) continue;
    const check = manifests.get(r.job_id)?.check;
    if (check) out.set(r.job_id, check);
  }
  return [...out];
}
