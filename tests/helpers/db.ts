/** A temp libSQL file per suite, migrated. */
import { type Db, openDb } from "../../db/client.ts";
import { migrate } from "../../db/migrate.ts";

export interface TempDb {
  db: Db;
  url: string;
  dir: string;
  close(): Promise<void>;
}

export async function tempDb(opts: { migrate?: boolean } = {}): Promise<TempDb> {
  const dir = await Deno.makeTempDir({ prefix: "kanade-db-" });
  const url = `file:${dir}/kanade.db`;
  const db = await openDb({ url });
  if (opts.migrate ?? true) await migrate(db);
  return {
    db,
    url,
    dir,
    async close() {
      db.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
