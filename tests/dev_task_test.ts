/**
 * `deno task dev` as a new user runs it: it serves, restarts on a source change, and ends
 * on SIGTERM as it does on SIGINT, leaving no process behind (task runner, file watcher,
 * backend, the dev broker it started). `timeout 120 deno task dev` used to never end: the
 * `--watch` watcher survived the SIGTERM.
 */
import assert from "node:assert/strict";
import { freePort } from "./helpers/nats_server.ts";
import { waitFor } from "./helpers/backend.ts";
import { tailLines } from "./helpers/child.ts";
import { isSourceChange } from "../tools/dev.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** Every process below `pid` (from /proc): pid → command line. */
async function descendants(pid: number): Promise<Map<number, string>> {
  const parent = new Map<number, number>();
  const cmd = new Map<number, string>();
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = await Deno.readTextFile(`/proc/${e.name}/stat`);
      // pid (comm) state ppid ...: comm may hold spaces and parentheses
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parent.set(Number(e.name), ppid);
      cmd.set(
        Number(e.name),
        (await Deno.readTextFile(`/proc/${e.name}/cmdline`)).replaceAll("\0", " "),
      );
    } catch { /* exited while we looked */ }
  }
  const out = new Map<number, string>();
  const walk = (p: number) => {
    for (const [c, pp] of parent) {
      if (pp === p && !out.has(c)) {
        out.set(c, cmd.get(c) ?? "");
        walk(c);
      }
    }
  };
  walk(pid);
  return out;
}

/** Alive = exists and is not a zombie waiting for its (re-)parent to reap it. */
async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

interface DevRun {
  child: Deno.ChildProcess;
  base: string;
  stderr: string[];
  dir: string;
}

/** `[...prefix] deno task dev` with a private broker port, DB and bind. */
async function startDev(prefix: string[] = []): Promise<DevRun> {
  const dir = await Deno.makeTempDir({ prefix: "kanade-dev-" });
  const port = freePort();
  const env: Record<string, string> = {
    NO_COLOR: "1",
    PATH: Deno.env.get("PATH") ?? "",
    HOME: Deno.env.get("HOME") ?? dir,
    // Nothing answers here, so the dev task starts its own nats-server (store beside the DB).
    KANADE_NATS_URL: `nats://127.0.0.1:${freePort()}`,
    KANADE_DB_URL: `file:${dir}/kanade.db`,
    KANADE_BIND: `127.0.0.1:${port}`,
    KANADE_LOG_LEVEL: "info",
  };
  for (const k of ["DENO_DIR", "XDG_CACHE_HOME"]) {
    const v = Deno.env.get(k);
    if (v) env[k] = v;
  }
  const deno = [Deno.execPath(), "task", "--config", `${ROOT}deno.json`, "dev"];
  const [cmd, ...args] = [...prefix, ...deno];
  const child = new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = tailLines(child.stderr, 40);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${base}/health`)).ok, {
    timeoutMs: 90_000,
    intervalMs: 200,
    what: `dev task serving /health\n${stderr.join("\n")}`,
  });
  return { child, base, stderr, dir };
}

/** Wait for the whole tree to be gone; on failure kill what is left so nothing leaks. */
async function assertAllGone(run: DevRun, tree: Map<number, string>) {
  const ended = await Promise.race([
    run.child.status.then(() => true),
    new Promise<false>((r) => setTimeout(() => r(false), 30_000)),
  ]);
  let left: string[] = [];
  await waitFor(async () => {
    left = [];
    for (const [pid, cmd] of tree) if (await alive(pid)) left.push(`${pid} ${cmd}`);
    return left.length === 0;
  }, { timeoutMs: 15_000, intervalMs: 100 }).catch(() => {/* reported below */});
  // Nothing may leak from a failed run: kill what is left before asserting.
  for (const [pid] of tree) {
    if (await alive(pid)) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* gone */ }
    }
  }
  if (!ended) {
    try {
      run.child.kill("SIGKILL");
    } catch { /* gone */ }
  }
  await run.child.status;
  await Deno.remove(run.dir, { recursive: true }).catch(() => {});
  assert.ok(ended, `the dev task did not end after SIGTERM\n${run.stderr.join("\n")}`);
  assert.deepEqual(left, [], "processes left behind");
}

Deno.test("dev runner: only source files restart the backend", () => {
  const table: [string, boolean][] = [
    ["/r/lib/config.ts", true],
    ["/r/db/migrations/20260101000000_x.sql", true],
    ["/r/lib/.config.ts.swp", false],
    ["/r/lib/.#config.ts", false],
    ["/r/lib/config.ts~", false],
    ["/r/data/kanade.db-wal", false],
    ["/home/u/.work/kanade/lib/config.ts", true],
  ];
  for (const [path, want] of table) assert.equal(isSourceChange(path), want, path);
});

Deno.test({
  name: "deno task dev: restarts on a source change, ends on SIGTERM with every process gone",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const run = await startDev();
    const mainPids = async () =>
      [...await descendants(run.child.pid)].filter(([, c]) => c.includes("main.ts --dev"))
        .map(([p]) => p);
    const tree = await descendants(run.child.pid);
    const cmds = [...tree.values()];
    assert.ok(cmds.some((c) => c.includes("tools/dev.ts")), cmds.join("\n"));
    assert.ok(cmds.some((c) => c.includes("main.ts --dev")), cmds.join("\n"));
    assert.ok(cmds.some((c) => c.includes("nats-server")), cmds.join("\n"));
    const [first] = await mainPids();

    // A touched source file restarts the backend (a new main.ts process serves again).
    const probe = `${ROOT}util/process.ts`;
    const now = new Date();
    await Deno.utime(probe, now, now);
    await waitFor(async () => {
      const pids = await mainPids();
      if (pids.length !== 1 || pids[0] === first) return false;
      return (await fetch(`${run.base}/health`)).ok;
    }, {
      timeoutMs: 90_000,
      intervalMs: 200,
      what: `a restarted backend\n${run.stderr.join("\n")}`,
    });
    for (const [pid, cmd] of await descendants(run.child.pid)) tree.set(pid, cmd);

    run.child.kill("SIGTERM");
    await assertAllGone(run, tree);
  },
});

const SIGNAL_CASES: { name: string; prefix: string[]; signal: Deno.Signal }[] = [
  {
    // `timeout` runs the task in its own process group and, on SIGTERM, signals the group.
    name: "timeout 120 deno task dev: the SIGTERM timeout sends to its group ends everything",
    prefix: ["timeout", "120"],
    signal: "SIGTERM",
  },
  {
    name: "deno task dev ends on SIGINT (Ctrl-C) too, with every process gone",
    prefix: [],
    signal: "SIGINT",
  },
];

for (const c of SIGNAL_CASES) {
  Deno.test({
    name: c.name,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const run = await startDev(c.prefix);
      const tree = await descendants(run.child.pid);
      assert.ok([...tree.values()].some((cmd) => cmd.includes("nats-server")), "a dev broker runs");
      run.child.kill(c.signal);
      await assertAllGone(run, tree);
    },
  });
}
