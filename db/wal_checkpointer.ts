/**
 * WAL checkpoints on a thread of their own, so that no commit pays for one.
 *
 * Why: with SQLite's automatic checkpoint, the commit that takes the WAL past
 * `wal_autocheckpoint` pages (64 MiB here) copies them into the database file and fsyncs it,
 * inside that commit. At 100,000 agents the heartbeat writes (on the main thread) crossed it
 * every ~5.3 s and each time held the event loop 250–650 ms: every API request in that window
 * waited (measured with `strace` and a `GET /health` poll, docs/scale.md "Checkpoints off the
 * main thread"). A PASSIVE checkpoint every second from another connection on a worker keeps
 * the WAL far below that threshold; the automatic one stays as the fallback (a process without
 * a checkpointer, or one that falls behind).
 *
 * Local `file:` databases only (a libSQL server checkpoints its own file).
 */
/** Where problems are told (the process's logger; db/ sits below lib/log.ts). */
export interface CheckpointLog {
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface CheckpointStats {
  checkpoints: number;
  failures: number;
  /** The last checkpoint: WAL frames, frames copied, whether a reader kept it from finishing. */
  lastLog: number;
  lastCheckpointed: number;
  lastBusy: boolean;
  lastMs: number;
}

export interface WalCheckpointer {
  readonly stats: CheckpointStats;
  /** One checkpoint now (tests); resolves with its reply. */
  checkpoint(): Promise<CheckpointStats>;
  stop(): Promise<void>;
}

type Reply =
  | { id: number; ok: true; busy: number; log: number; checkpointed: number; ms: number }
  | { id: number; ok: false; message: string };

export function startWalCheckpointer(
  url: string,
  log: CheckpointLog,
  opts: { everyMs?: number } = {},
): WalCheckpointer {
  const stats: CheckpointStats = {
    checkpoints: 0,
    failures: 0,
    lastLog: 0,
    lastCheckpointed: 0,
    lastBusy: false,
    lastMs: 0,
  };
  const worker = new Worker(new URL("./wal_checkpoint_worker.ts", import.meta.url).href, {
    type: "module",
  });
  worker.postMessage({ init: url });
  let nextId = 1;
  const pending = new Map<number, () => void>();
  let loggedFailure = false;
  worker.onmessage = (ev: MessageEvent<Reply>) => {
    const r = ev.data;
    if (r.ok) {
      stats.checkpoints++;
      stats.lastLog = r.log;
      stats.lastCheckpointed = r.checkpointed;
      stats.lastBusy = r.busy !== 0;
      stats.lastMs = r.ms;
      loggedFailure = false;
    } else {
      stats.failures++;
      // Once per run of failures: the automatic checkpoint still bounds the WAL meanwhile.
      if (!loggedFailure) log.warn("WAL checkpoint failed", { err: r.message });
      loggedFailure = true;
    }
    pending.get(r.id)?.();
    pending.delete(r.id);
  };
  worker.onerror = (ev) => {
    ev.preventDefault();
    stats.failures++;
    log.error("WAL checkpointer thread failed; commits checkpoint again", { err: ev.message });
    stop();
  };
  let inFlight = false;
  let stopped = false;
  const checkpoint = () => {
    // A stopped thread answers nothing: the counts as they are.
    if (stopped) return Promise.resolve(stats);
    const id = nextId++;
    const done = new Promise<void>((resolve) => pending.set(id, resolve));
    worker.postMessage({ id });
    return done.then(() => stats);
  };
  // One at a time: a slow checkpoint (a big burst's WAL) is not queued behind by the next tick.
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = true;
    checkpoint().finally(() => inFlight = false);
  }, opts.everyMs ?? 1_000);
  // Housekeeping only: never the reason a process stays up.
  Deno.unrefTimer(timer);
  function stop(): Promise<void> {
    if (stopped) return Promise.resolve();
    stopped = true;
    clearInterval(timer);
    worker.terminate();
    for (const done of pending.values()) done();
    pending.clear();
    return Promise.resolve();
  }
  return { stats, checkpoint, stop };
}
