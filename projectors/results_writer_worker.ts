/**
 * The results projector's writer thread: owns its own libSQL connection and applies one
 * decided batch (results + projection rejects) per request in ONE transaction, so the
 * main thread keeps consuming, decoding and acking while SQLite (synchronous in libSQL)
 * works. Protocol: see `WriterRequest` / `WriterReply` in results_writer.ts.
 */
import { inWriteTx, openDb, releaseDbMemory } from "../db/client.ts";
import { logger, setLogLevel } from "../lib/log.ts";
import { applyResults } from "./results.ts";
import { NO_CHECK_CHANGES } from "../lib/checks/project.ts";
import { collectGarbage } from "../lib/memory_return.ts";
import { rejectStmt } from "./rejects.ts";
import {
  unpackRows,
  type WriterCollect,
  type WriterInit,
  type WriterReply,
  type WriterRequest,
} from "./results_writer.ts";

const port = self as unknown as Worker;
let init: WriterInit | null = null;
let dbPromise: ReturnType<typeof openDb> | null = null;

/**
 * A 64 MiB page cache (twice the default): a burst writes 100,000 rows into the indexes of
 * `execution_results`. Given back after the burst with the rest (see the collect below).
 */
const openWriterDb = () =>
  openDb({ url: init!.dbUrl, busyTimeoutMs: init!.busyTimeoutMs, cacheMiB: 64 });

async function handle(req: WriterRequest): Promise<WriterReply> {
  const db = await (dbPromise ??= openWriterDb());
  const log = logger({ projector: "results", thread: "writer" });
  const inventory = new Map(req.inventory);
  const checks = new Map(req.checks);
  // A BEGIN refused with SQLITE_BUSY leaves the connection clean (db/client.ts takes the
  // write lock outside any prepared statement), so the connection is kept for the retry.
  try {
    const plan = await inWriteTx(db, async (tx) => {
      const plan = req.rows.json.length
        ? await applyResults(tx, unpackRows(req.rows), {
          log,
          manifests: {
            get: (id) =>
              inventory.has(id) || checks.has(id)
                ? { inventory: inventory.get(id) ?? null, check: checks.get(id) }
                : undefined,
          },
        })
        : null;
      if (req.rejects.length) await tx.batch(req.rejects.map(rejectStmt));
      return plan;
    });
    return {
      id: req.id,
      ok: true,
      written: plan?.write.length ?? 0,
      resultIds: plan ? plan.write.slice(0, 100).map((r) => r.result_id) : [],
      execIds: plan ? [...plan.counters.keys()].slice(0, 100) : [],
      checks: plan?.checks ?? NO_CHECK_CHANGES,
    };
  } catch (e) {
    // A refused BEGIN, or the batch's own failure (inside an IMMEDIATE transaction in WAL
    // no statement waits for a lock): nothing committed, the engine retries or sets aside.
    return { id: req.id, ok: false, message: String((e as Error)?.message ?? e) };
  }
}

// Requests are applied strictly one after another (the engine never overlaps batches).
let chain: Promise<void> = Promise.resolve();
port.onmessage = (ev: MessageEvent<{ init: WriterInit } | WriterRequest | WriterCollect>) => {
  const data = ev.data;
  if ("init" in data) {
    init = data.init;
    if (init.logLevel) setLogLevel(init.logLevel);
    return;
  }
  if ("collect" in data) {
    // The collection is not queued behind the batches: it runs when the thread's event loop
    // next turns (between two of a batch's awaits at worst), and is safe at any such point.
    const gc = collectGarbage();
    // The page cache goes back between two batches (never inside one's transaction), and
    // before the answer: the main thread trims glibc's arenas once every isolate answered.
    chain = chain.then(async () => {
      if (dbPromise) await releaseDbMemory(await dbPromise, init!.dbUrl).catch(() => {});
      port.postMessage({ collect: data.collect, gc } satisfies WriterCollect);
    });
    return;
  }
  chain = chain.then(async () => {
    let reply: WriterReply;
    try {
      reply = await handle(data);
    } catch (e) {
      reply = { id: data.id, ok: false, message: String((e as Error)?.message ?? e) };
    }
    port.postMessage(reply);
  });
};
