/**
 * `deno task bench [-- --quick] [--only name1,name2]`: runs every `bench/*_bench.ts` suite
 * (each exports `suite: BenchSuite`) and writes `bench/RESULTS.md` with the table, the
 * command and the machine line, then any section a suite added (the scale table). Suites
 * marked `explicit` (the 30-minute soak) run only when named with `--only`.
 */
import type { BenchRow, BenchSuite } from "./types.ts";

// `deno task bench -- --only x` passes the `--` through.
const args = Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args;
const quick = args.includes("--quick");
const onlyIdx = args.indexOf("--only");
const only = onlyIdx >= 0 ? args[onlyIdx + 1]?.split(",") : undefined;

const dir = new URL("./", import.meta.url);
const files: string[] = [];
for await (const e of Deno.readDir(dir)) {
  if (e.isFile && e.name.endsWith("_bench.ts")) files.push(e.name);
}
files.sort();

const results: { suite: string; rows: BenchRow[]; error?: string }[] = [];
const sections: string[] = [];
for (const f of files) {
  // `<name>_bench.ts` holds suite `<name>`: an --only run loads just those files, so a
  // broken suite elsewhere cannot stop it.
  const fileSuite = f.slice(0, -"_bench.ts".length);
  if (only && !only.includes(fileSuite)) continue;
  let mod: { suite?: BenchSuite };
  try {
    mod = await import(new URL(f, dir).href);
  } catch (e) {
    console.error(`== ${fileSuite}\n   failed to load: ${(e as Error).stack}`);
    results.push({ suite: fileSuite, rows: [], error: `load: ${(e as Error).message}` });
    continue;
  }
  if (!mod.suite) continue;
  if (only && !only.includes(mod.suite.name)) continue;
  if (!only && mod.suite.explicit) continue;
  console.error(`== ${mod.suite.name}`);
  try {
    const rows = await mod.suite.run({
      quick,
      args,
      log: (m) => console.error(`   ${m}`),
      section: (md) => sections.push(md),
    });
    results.push({ suite: mod.suite.name, rows });
  } catch (e) {
    console.error(`   failed: ${(e as Error).stack}`);
    results.push({ suite: mod.suite.name, rows: [], error: (e as Error).message });
  }
}

function machineLine(): string {
  let cpu = "unknown CPU";
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    cpu = /model name\s*:\s*(.+)/.exec(info)?.[1] ?? cpu;
  } catch { /* not linux */ }
  const mem = Deno.systemMemoryInfo();
  return `${navigator.hardwareConcurrency} cores (${cpu}), ${
    (mem.total / 2 ** 30).toFixed(0)
  } GiB, ` +
    `Deno ${Deno.version.deno}, ${Deno.build.os}/${Deno.build.arch}`;
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(n < 10 ? 2 : 1));
const lines = [
  "# Benchmark results",
  "",
  `Command: \`deno task bench${args.length ? " -- " + args.join(" ") : ""}\``,
  "",
  `Machine: ${machineLine()}`,
  "",
  `Run: ${new Date().toISOString()}${quick ? " (quick sizes)" : ""}`,
  "",
  "| suite | measurement | median | unit | runs | target | met | note |",
  "|---|---|---:|---|---:|---|---|---|",
];
for (const r of results) {
  if (r.error) {
    lines.push(`| ${r.suite} | (failed) | | | | | no | ${r.error.replace(/\|/g, "/")} |`);
  }
  for (const row of r.rows) {
    lines.push(
      `| ${r.suite} | ${row.name} | ${fmt(row.median)} | ${row.unit} | ${row.samples.length} | ${
        row.target ?? ""
      } | ${row.ok === undefined ? "" : row.ok ? "yes" : "no"} | ${row.note ?? ""} |`,
    );
  }
}
const out = [lines.join("\n"), ...sections].join("\n\n") + "\n";
if (!only) await Deno.writeTextFile(new URL("RESULTS.md", dir), out);
else await Deno.writeTextFile(new URL(`RESULTS.${only.join("_")}.md`, dir), out);
console.log(out);
