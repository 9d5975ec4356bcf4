/**
 * The dashboard's plain JS is type-checked. Every .js file under static/ opens with
 * `// @ts-check` (Deno checks a JS file only when it says so) and `/// <reference lib="dom" />`
 * (the browser's globals, for `deno check static/` and for the Deno tests that import the
 * pure modules alike), and `deno check static/` reports nothing.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = new URL("../", import.meta.url);
const HEADER = ["// @ts-check", '/// <reference lib="dom" />'];

/**
 * Files not converted yet; this list only shrinks (issue 14), and a new file is checked
 * from its first commit.
 */
const PENDING = new Set<string>([
  "static/assets/js/pages/account.js",
  "static/assets/js/pages/accounts.js",
  "static/assets/js/pages/activity.js",
  "static/assets/js/pages/agent_detail.js",
  "static/assets/js/pages/agents.js",
  "static/assets/js/pages/api_docs.js",
  "static/assets/js/pages/audit.js",
  "static/assets/js/pages/change_password.js",
  "static/assets/js/pages/config.js",
  "static/assets/js/pages/dashboard.js",
  "static/assets/js/pages/exec.js",
  "static/assets/js/pages/execution.js",
  "static/assets/js/pages/executions.js",
  "static/assets/js/pages/groups.js",
  "static/assets/js/pages/inventory.js",
  "static/assets/js/pages/inventory_job.js",
  "static/assets/js/pages/inventory_pc.js",
  "static/assets/js/pages/inventory_search.js",
  "static/assets/js/pages/jetstream.js",
  "static/assets/js/pages/job_edit.js",
  "static/assets/js/pages/jobs.js",
  "static/assets/js/pages/login.js",
  "static/assets/js/pages/logs.js",
  "static/assets/js/pages/not_found.js",
  "static/assets/js/pages/notification.js",
  "static/assets/js/pages/notifications.js",
  "static/assets/js/pages/packages.js",
  "static/assets/js/pages/result.js",
  "static/assets/js/pages/rollout.js",
  "static/assets/js/pages/run.js",
  "static/assets/js/pages/schedule_edit.js",
  "static/assets/js/pages/schedules.js",
]);

async function staticJs(dir = "static/"): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(new URL(dir, ROOT))) {
    const rel = `${dir}${e.name}`;
    if (e.isDirectory) out.push(...await staticJs(`${rel}/`));
    else if (e.name.endsWith(".js")) out.push(rel);
  }
  return out.sort();
}

Deno.test("static JS: every file opens with // @ts-check and the DOM lib reference", async () => {
  const files = await staticJs();
  assert.ok(files.length > 40, `found only ${files.length} files under static/`);
  const missing = [];
  for (const f of files) {
    if (PENDING.has(f)) continue;
    const head = (await Deno.readTextFile(new URL(f, ROOT))).split("\n").slice(0, 2);
    if (head[0] !== HEADER[0] || head[1] !== HEADER[1]) missing.push(f);
  }
  assert.deepEqual(missing, [], `these files must start with:\n${HEADER.join("\n")}`);
  const gone = [...PENDING].filter((f) => !files.includes(f));
  assert.deepEqual(gone, [], "PENDING names files that no longer exist");
});

Deno.test("static JS: deno check static/ reports no type errors", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--quiet", "static/"],
    cwd: fileURLToPath(ROOT),
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  assert.ok(out.success, `deno check static/ failed:\n${text.slice(0, 20_000)}`);
});
