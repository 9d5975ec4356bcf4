/**
 * `deno task dev`: `main.ts --dev` restarted whenever a source file changes.
 *
 * Why not `deno run --watch`: its watcher hands a SIGTERM to the script as a restart
 * signal, so after a real SIGTERM the backend shut down but the watcher stayed alive,
 * waiting for the next change (`timeout 120 deno task dev` never ended). Here the watcher
 * is this small process: SIGINT or SIGTERM stop the backend (gracefully, SIGKILL after
 * `GRACE_MS`), which stops the dev broker it started, and then this process exits.
 */
import { terminate } from "../util/process.ts";

const ROOT = new URL("../", import.meta.url);
const MAIN = new URL("main.ts", ROOT).pathname;
/** What a change restarts the backend for (the folders main.ts imports from). */
export const WATCHED = [
  "main.ts",
  "lib",
  "handlers",
  "projectors",
  "scheduler",
  "wire",
  "db",
  "util",
];
const GRACE_MS = 10_000;
const DEBOUNCE_MS = 200;

/** Only source changes restart: not editor swap files, not the database or broker store. */
export function isSourceChange(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return /\.(ts|sql)$/.test(name) && !name.startsWith(".");
}

function spawnBackend(): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "--dev", ...Deno.args],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
}

async function main(): Promise<void> {
  const watcher = Deno.watchFs(WATCHED.map((p) => new URL(p, ROOT).pathname));
  let exiting = false;
  let child: Deno.ChildProcess;
  const run = () => {
    const c = child = spawnBackend();
    c.status.then((s) => {
      if (!exiting && !expected.has(c)) {
        console.error(`dev: the backend exited (code ${s.code}); restarting on a file change`);
      }
    });
  };
  /** Children stopped on purpose (restart, exit): their end is not news. */
  const expected = new WeakSet<Deno.ChildProcess>();
  const stop = (c: Deno.ChildProcess) => {
    expected.add(c);
    return terminate(c, GRACE_MS);
  };
  run();

  const exit = async () => {
    if (exiting) return;
    exiting = true;
    watcher.close();
    await stop(child);
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", exit);
  Deno.addSignalListener("SIGTERM", exit);

  let debounce: ReturnType<typeof setTimeout> | undefined;
  let restarting = Promise.resolve();
  const restart = () => {
    restarting = restarting.then(async () => {
      if (exiting) return;
      console.error("dev: source changed, restarting the backend");
      await stop(child);
      if (!exiting) run();
    });
  };
  for await (const ev of watcher) {
    if (!ev.paths.some(isSourceChange)) continue;
    clearTimeout(debounce);
    debounce = setTimeout(restart, DEBOUNCE_MS);
  }
}

if (import.meta.main) await main();
