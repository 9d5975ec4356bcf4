/**
 * Imports only point down. The allowed directions are written once, in tools/layers.ts;
 * this walks the import graph of every .ts file outside tests/ and fails on any other.
 */
import assert from "node:assert/strict";
import {
  END_MARK,
  importGraph,
  importsOf,
  layerOf,
  renderLayers,
  resolve,
  sourceFiles,
  START_MARK,
  violation,
} from "../tools/layers.ts";
import { replaceMarked } from "../tools/readme.ts";

Deno.test("violation(): the layer table, edge by edge", () => {
  const table: [string, string, boolean][] = [
    // [from, to, allowed]
    ["handlers/jobs/jobs_list.ts", "lib/catalog/jobs.ts", true],
    ["handlers/results/results_list.ts", "lib/reads/results.ts", true],
    ["handlers/router.ts", "db/client.ts", true],
    ["lib/catalog/jobs.ts", "handlers/router.ts", false],
    ["lib/api_server.ts", "handlers/routes.ts", false],
    ["db/client.ts", "lib/retry.ts", false],
    ["db/client.ts", "util/retry.ts", true],
    ["db/migrate.ts", "wire/time.ts", true],
    ["wire/time.ts", "lib/log.ts", false],
    ["util/retry.ts", "wire/time.ts", false],
    ["projectors/jetstream_projector.ts", "lib/reads/change_feed.ts", false],
    ["projectors/results.ts", "lib/inventory/project.ts", true],
    ["scheduler/tick.ts", "lib/reads/agents.ts", false],
    ["scheduler/tick.ts", "projectors/mod.ts", false],
    ["projectors/mod.ts", "scheduler/mod.ts", false],
    ["handlers/schedules/schedules_list.ts", "scheduler/api.ts", false],
    ["lib/inventory/query.ts", "lib/reads/params.ts", false],
    ["lib/reads/inventory.ts", "lib/inventory/spec.ts", true],
    ["main.ts", "projectors/mod.ts", true],
    ["tools/route_table.ts", "handlers/routes.ts", true],
    ["main.ts", "tests/helpers/backend.ts", false],
    ["lib/fleet/pe_fixture.ts", "tests/helpers/x.ts", false],
    ["lib/fleet/pe_version_test.ts", "tests/helpers/pe_fixture.ts", true],
    ["bench/exec_bench.ts", "tests/helpers/backend.ts", true],
    ["somewhere/x.ts", "lib/log.ts", false],
    ["lib/x.ts", "somewhere/y.ts", false],
  ];
  for (const [from, to, allowed] of table) {
    assert.equal(violation({ from, to }) === null, allowed, `${from} -> ${to}`);
  }
  assert.equal(layerOf("lib/reads/agents.ts")?.name, "reads", "the longest prefix decides");
  assert.equal(layerOf("main.ts")?.name, "entry");
  assert.equal(layerOf("mainly.ts"), null, "a file path is matched whole");
});

Deno.test("importsOf(): every relative import form, nothing else", () => {
  const src = `
import { a } from "./a.ts";
import type { B } from "../b/b.ts";
import {
  c,
  d,
} from "../../c.ts";
export { e } from "./e.ts";
export * from "./f.ts";
import "./side_effect.ts";
const g = await import("../g.ts");
import { z } from "zod";
import x from "npm:yaml";
const url = new URL("./not_an_import.ts", import.meta.url);
`;
  assert.deepEqual(importsOf(src).sort(), [
    "../../c.ts",
    "../b/b.ts",
    "../g.ts",
    "./a.ts",
    "./e.ts",
    "./f.ts",
    "./side_effect.ts",
  ]);
  assert.equal(
    resolve("handlers/jobs/jobs_list.ts", "../../lib/catalog/jobs.ts"),
    "lib/catalog/jobs.ts",
  );
  assert.equal(resolve("main.ts", "./lib/start.ts"), "lib/start.ts");
  assert.equal(resolve("lib/reads/inventory.ts", "./params.ts"), "lib/reads/params.ts");
});

Deno.test("no import points up (every .ts file outside tests/)", async () => {
  const edges = await importGraph();
  // A broken parser must not pass by finding nothing.
  assert.ok(edges.length > 500, `only ${edges.length} import edges found`);
  assert.ok(edges.some((e) => e.from === "main.ts" && e.to === "lib/start.ts"));
  const bad = edges.map(violation).filter((v): v is string => v !== null);
  assert.deepEqual(
    bad,
    [],
    `upward or unknown imports (allowed directions: tools/layers.ts):\n${bad.join("\n")}`,
  );
});

Deno.test("README architecture section shows the layer table (tools/layers.ts --write)", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  assert.equal(
    replaceMarked(readme, renderLayers(), START_MARK, END_MARK),
    readme,
    "README layer table is stale: run `deno run -A tools/layers.ts --write`",
  );
});

Deno.test("every top-level folder has its one-line reason in the README folder table", async () => {
  const root = new URL("../", import.meta.url);
  const tracked = new TextDecoder().decode(
    (await new Deno.Command("git", { args: ["ls-files"], cwd: root, stdout: "piped" }).output())
      .stdout,
  );
  const folders = new Set(
    tracked.split("\n").filter((f) => f.includes("/")).map((f) => f.split("/")[0]),
  );
  const readme = await Deno.readTextFile(new URL("README.md", root));
  const rows = new Set(
    [...readme.matchAll(/^\| `([^`/]+)\/` +\|/gm)].map((m) => m[1]),
  );
  const missing = [...folders].filter((f) => !rows.has(f)).sort();
  assert.deepEqual(missing, [], "add a row to the README folder table (Architecture)");
  assert.ok(rows.has("handlers") && rows.has("lib"), "the folder table was found");
});

/** The folders whose files must stay small (issue 14: about 350 lines) unless they say why. */
const SIZED = ["handlers/", "lib/", "projectors/", "scheduler/", "wire/"];
const MAX_LINES = 360;

Deno.test("a file over ~350 lines in handlers/ lib/ projectors/ scheduler/ wire/ says why in its header", async () => {
  const root = new URL("../", import.meta.url);
  const files = (await sourceFiles()).filter((f) => SIZED.some((p) => f.startsWith(p)));
  assert.ok(files.length > 100, "the source walk found the folders");
  const unexplained: string[] = [];
  for (const f of files) {
    const text = await Deno.readTextFile(new URL(f, root));
    const lines = text.split("\n").length;
    if (lines <= MAX_LINES) continue;
    const header = text.match(/^\/\*\*[\s\S]*?\*\//)?.[0] ?? "";
    if (!/(~|over |of |\b)\d{3}\s+lines\b/.test(header)) unexplained.push(`${f} (${lines} lines)`);
  }
  assert.deepEqual(
    unexplained,
    [],
    "split these by concern, or say in the header comment why the file is long (e.g. 'one file of ~400 lines because ...')",
  );
});
