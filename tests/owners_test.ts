/**
 * One owner per concept (issue 14): the backend's source (everything but tests, benches,
 * the dashboard and `*_test.ts` files) touches each concept below only through the module
 * that owns it. A line that needs an exception belongs in the owner instead.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const SKIP_DIRS = new Set(["tests", "bench", "static", "node_modules", "data", "docs", ".git"]);

/** Every source file of the backend, as [path relative to the repo, text]. */
async function sources(): Promise<[string, string][]> {
  const out: [string, string][] = [];
  const visit = async (rel: string) => {
    for await (const e of Deno.readDir(new URL(rel || ".", ROOT))) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) {
        if (!SKIP_DIRS.has(e.name) && !e.name.startsWith(".")) await visit(path);
      } else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) {
        out.push([path, await Deno.readTextFile(new URL(path, ROOT))]);
      }
    }
  };
  await visit("");
  return out.sort(([a], [b]) => (a < b ? -1 : 1));
}

interface Rule {
  concept: string;
  owners: string[];
  pattern: RegExp;
}

/** Lines matching `pattern` outside `owners`, as `path:line: text`. */
function offenders(files: [string, string][], rule: Rule): string[] {
  const out: string[] = [];
  for (const [path, text] of files) {
    if (rule.owners.includes(path)) continue;
    text.split("\n").forEach((line, i) => {
      if (rule.pattern.test(line)) out.push(`${path}:${i + 1}: ${line.trim()}`);
    });
  }
  return out;
}

const RULES: Rule[] = [
  {
    concept: "JetStream KV handles are opened by the KV gateway only",
    owners: ["lib/kv.ts", "lib/nats.ts"],
    pattern: /\.kv\(|\bkvm\b|\bKvm\b|from "@nats-io\/kv"/,
  },
  {
    concept: "the revision-conflict test exists once (lib/kv.ts isRevisionConflict)",
    owners: ["lib/kv.ts"],
    pattern: /wrong last sequence|\b10071\b|\b10164\b|key exists/i,
  },
  {
    concept: "the executions table is written by its lifecycle owner only",
    owners: ["lib/exec/lifecycle.ts"],
    pattern: /\b(INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+executions\b/i,
  },
  {
    concept: "the alert tables are written by their owner only (lib/alerts/store.ts)",
    owners: ["lib/alerts/store.ts"],
    pattern:
      /\b(INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+alert_(deliveries|offline|state)\b/i,
  },
];

Deno.test("one owner per concept: nothing else touches it", async (t) => {
  const files = await sources();
  assert.ok(files.some(([p]) => p === "lib/kv.ts"), "the walk sees the source tree");
  for (const rule of RULES) {
    await t.step(rule.concept, () => {
      assert.deepEqual(offenders(files, rule), [], `outside ${rule.owners.join(", ")}`);
    });
  }
});

Deno.test("offenders() finds a violation (the rule checks can fail)", () => {
  const files: [string, string][] = [
    ["lib/kv.ts", "const kv = await nats.kv(bucket);"],
    ["lib/elsewhere.ts", "ok\nconst kv = await deps.nats.kv(BUCKET.jobs);"],
  ];
  assert.deepEqual(offenders(files, RULES[0]), [
    "lib/elsewhere.ts:2: const kv = await deps.nats.kv(BUCKET.jobs);",
  ]);
  const sql: [string, string][] = [
    ["projectors/x.ts", "sql: `UPDATE executions SET status = 'running'"],
    ["projectors/y.ts", "sql: `UPDATE execution_results SET reaped = 1"],
    ["lib/z.ts", "INSERT OR IGNORE INTO executions (exec_id)"],
  ];
  assert.deepEqual(offenders(sql, RULES[2]).map((o) => o.split(":")[0]), [
    "projectors/x.ts",
    "lib/z.ts",
  ]);
});
