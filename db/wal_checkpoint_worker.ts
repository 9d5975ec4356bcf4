/**
 * The WAL checkpointer's thread (db/wal_checkpointer.ts): its own connection to the file,
 * one PASSIVE checkpoint per request, answered with SQLite's counts. Protocol: the main side
 * posts `{ init: url }` once, then `{ id }` per checkpoint; the reply is `{ id, ok, ... }`.
 */
import { openDb, rowsOf } from "./client.ts";

const port = self as unknown as Worker;
let dbPromise: ReturnType<typeof openDb> | null = null;
let url = "";

port.onmessage = async (ev: MessageEvent<{ init: string } | { id: number }>) => {
  const data = ev.data;
  if ("init" in data) {
    url = data.init;
    return;
  }
  try {
    const db = await (dbPromise ??= openDb({ url, busyTimeoutMs: 0, retryBusyForMs: 0 }));
    const t0 = performance.now();
    // PASSIVE: copies what no reader still needs and never waits for readers or writers.
    const row = rowsOf<{ busy: number; log: number; checkpointed: number }>(
      await db.execute("PRAGMA wal_checkpoint(PASSIVE)"),
    )[0];
    port.postMessage({
      id: data.id,
      ok: true,
      busy: Number(row?.busy ?? 0),
      log: Number(row?.log ?? 0),
      checkpointed: Number(row?.checkpointed ?? 0),
      ms: performance.now() - t0,
    });
  } catch (e) {
    port.postMessage({ id: data.id, ok: false, message: String((e as Error)?.message ?? e) });
  }
};
