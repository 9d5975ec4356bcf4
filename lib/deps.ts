/** Everything a handler, projector or the scheduler needs, created once per process. */
import type { Config } from "./config.ts";
import { connectNats, type Nats } from "./nats.ts";
import { type Db, openDb, releaseDbMemory } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { startWalCheckpointer, type WalCheckpointer } from "../db/wal_checkpointer.ts";
import { setupJetStreamRetrying } from "./jetstream_setup.ts";
import { log, type Logger } from "./log.ts";
import { onMemoryReturn } from "./memory_return.ts";

export interface Deps {
  config: Config;
  nats: Nats;
  db: Db;
  log: Logger;
}

export interface CreateDepsOptions {
  /** Run the JetStream bootstrap (default true). */
  setup?: boolean;
  /** Apply DB migrations (default true). */
  migrate?: boolean;
  /** NATS connection name. */
  name?: string;
}

export async function createDeps(config: Config, opts: CreateDepsOptions = {}): Promise<Deps> {
  const nats = await connectNats(config, opts.name ?? `kanade-backend-${config.nodeId}`);
  try {
    if (opts.setup ?? true) await setupJetStreamRetrying(nats, { replicas: config.jsReplicas });
    const db = await openDb({ url: config.dbUrl, authToken: config.dbAuthToken });
    if (opts.migrate ?? true) await migrate(db);
    const deps = { config, nats, db, log };
    // A local file's WAL is checkpointed off this thread (db/wal_checkpointer.ts).
    if (config.walCheckpointThread && config.dbUrl.startsWith("file:")) {
      checkpointers.set(deps, startWalCheckpointer(config.dbUrl, log));
    }
    // After a burst the page cache goes back with the heap (db/client.ts, DEFAULT_CACHE_MIB).
    unregisters.set(deps, onMemoryReturn(() => releaseDbMemory(db, config.dbUrl)));
    return deps;
  } catch (e) {
    await nats.close();
    throw e;
  }
}

/** The checkpointer of each Deps that has one. */
const checkpointers = new WeakMap<Deps, WalCheckpointer>();
const unregisters = new WeakMap<Deps, () => void>();

export async function closeDeps(deps: Deps): Promise<void> {
  unregisters.get(deps)?.();
  await checkpointers.get(deps)?.stop();
  await deps.nats.close().catch(() => {});
  deps.db.close();
}
