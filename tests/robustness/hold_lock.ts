/**
 * Fault injector: holds the write lock of a libSQL/SQLite file from ANOTHER process, as a
 * backup tool or a stuck writer would. `BEGIN IMMEDIATE` plus a real write (in WAL mode
 * this is what `BEGIN EXCLUSIVE` amounts to: readers go on, every writer is refused).
 *   deno run -A tests/robustness/hold_lock.ts <file:url> <holdMs>
 * Prints `locked` once the lock is held, `released` when it lets go.
 */
import { createClient } from "@libsql/client";

const [url, holdMsArg] = Deno.args;
const holdMs = Number(holdMsArg ?? 5000);
const db = createClient({ url, intMode: "number" });
const tx = await db.transaction("write");
await tx.execute("CREATE TABLE IF NOT EXISTS robustness_lock_probe (x INTEGER)");
await tx.execute({ sql: "INSERT INTO robustness_lock_probe (x) VALUES (?)", args: [Date.now()] });
console.log("locked");
await new Promise((r) => setTimeout(r, holdMs));
await tx.rollback();
tx.close();
db.close();
console.log("released");
