/**
 * Runs the fault and abuse suites and prints the figures for the README:
 *   deno run -A tests/robustness/report.ts
 * (the suites also run in CI with `deno task test`; this only collects their figures).
 */
import { readFigures } from "./report_sink.ts";

const path = await Deno.makeTempFile({ prefix: "kanade-robustness-", suffix: ".json" });
await Deno.remove(path);
const suites = ["tests/robustness/", "tests/auth_roles_test.ts"];
const run = await new Deno.Command(Deno.execPath(), {
  args: ["test", "-A", ...suites],
  env: { KANADE_ROBUSTNESS_REPORT: path },
  stdout: "inherit",
  stderr: "inherit",
}).output();
const figs = await readFigures(path);
const rows = Object.values(figs);
const sum = (k: "requests" | "faultsInjected" | "messagesSent" | "messagesLost" | "duplicates") =>
  rows.reduce((n, r) => n + (r[k] ?? 0), 0);
const cell = (v: number | undefined) => (v === undefined ? "–" : String(v));
console.log("\n| Suite | Requests | Faults injected | Messages sent | Lost | Duplicates | Notes |");
console.log("|---|---|---|---|---|---|---|");
for (const r of rows) {
  console.log(
    `| ${r.suite} | ${cell(r.requests)} | ${cell(r.faultsInjected)} | ${cell(r.messagesSent)} | ${
      cell(r.messagesLost)
    } | ${cell(r.duplicates)} | ${(r.notes ?? "").replace(/\|/g, "\\|")} |`,
  );
}
console.log(
  `| **total** | ${sum("requests")} | ${sum("faultsInjected")} | ${sum("messagesSent")} | ${
    sum("messagesLost")
  } | ${sum("duplicates")} | tests ${run.success ? "passed" : "FAILED"} |`,
);
await Deno.remove(path).catch(() => {});
Deno.exit(run.success ? 0 : 1);
