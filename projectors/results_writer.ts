/**
 * Main-thread side of the results writer thread (results_writer_worker.ts). libSQL's
 * local calls are synchronous: on the main thread a 5,000-row commit would freeze NATS
 * consumption, decoding and acking for its whole duration. On a worker the two overlap
 * and, with the Batcher's group commit, batches grow with the load. Only for local
 * database files (a remote libSQL server is reached asynchronously anyway).
 */
import type { ResultRowIn } from "./results.ts";
import type { RejectRow } from "./rejects.ts";
import type { ManifestFacts } from "./manifest_cache.ts";
import type { CheckHintFacts } from "../lib/checks/hint.ts";
import type { CheckChanges } from "../lib/checks/project.ts";
import { type Db, withWriteLock } from "../db/client.ts";

export interface WriterInit {
  dbUrl: string;
  /** SQLite's own busy wait on the writer's connection (blocking only that thread). */
  busyTimeoutMs: number;
  logLevel?: string;
}

export interface WriterRequest {
  id: number;
  rows: ResultRowIn[];
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

export class ResultsWriter {
  #worker: Worker | null = null;
  #pending = new Map<number, PromiseWithResolvers<WriterResult>>();
  #nextId = 1;
  #closed = false;

  /** `gateOf`: the main thread's handle of the same file, whose write gate commits take. */
  constructor(private readonly init: WriterInit, private readonly gateOf: Db | null = null) {}

  #spawn(): Worker {
    const w = new Worker(new URL("./results_writer_worker.ts", import.meta.url).href, {
      type: "module",
    });
    w.onmessage = (ev: MessageEvent<WriterReply>) => {
      const r = ev.data;
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
    return w;
  }

  /** A crashed thread: fail what was in flight (the engine naks it) and start afresh next time. */
  #fail(e: Error): void {
    this.#worker?.terminate();
    this.#worker = null;
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
    this.#worker.postMessage({ ...req, id } satisfies WriterRequest);
    return p.promise;
  }

  /** Stops the thread; call after the last commit resolved. */
  close(): Promise<void> {
    this.#closed = true;
    this.#fail(new Error("results writer is closed"));
    return Promise.resolve();
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
