/**
 * The layers of the backend and the one direction imports may point: down. This table is
 * the single place the rule is written; `tests/layers_test.ts` walks the import graph of
 * every .ts file outside tests/ and fails on an import it does not allow, and the README's
 * architecture section is rendered from it:
 *   deno run -A tools/layers.ts            print the README section
 *   deno run -A tools/layers.ts --write    replace it between `<!-- layers:start -->`/`end`
 *   deno run -A tools/layers.ts --check    exit 1 when it is stale
 */
import { replaceMarked } from "./readme.ts";

export interface Layer {
  name: string;
  /** Path prefixes (a folder ends with `/`); the longest matching prefix decides. */
  paths: string[];
  /** Layers this one may import besides itself (`*`: any). */
  imports: string[];
  why: string;
}

/** Top to bottom. */
export const LAYERS: readonly Layer[] = [
  {
    name: "bench",
    paths: ["bench/"],
    imports: ["*", "tests"],
    why: "benchmarks: drive the whole backend with the test helpers and the simulator",
  },
  {
    name: "entry",
    paths: ["main.ts", "tools/"],
    imports: ["*"],
    why: "processes and CLIs: pick and wire the components",
  },
  {
    name: "simulator",
    paths: ["simulator/"],
    imports: ["domain", "wire", "util"],
    why:
      "simulated agents (`deno task fleet`): the agent side of the protocol, for tests and benchmarks",
  },
  {
    name: "handlers",
    paths: ["handlers/"],
    imports: ["reads", "domain", "db", "wire", "util"],
    why: "HTTP edge: parse, call one domain or read function, answer",
  },
  {
    name: "projectors",
    paths: ["projectors/"],
    imports: ["domain", "db", "wire", "util"],
    why: "write the read model from the streams; never read it back through lib/reads/",
  },
  {
    name: "scheduler",
    paths: ["scheduler/"],
    imports: ["domain", "db", "wire", "util"],
    why: "fires schedules through the domain's exec pipeline",
  },
  {
    name: "reads",
    paths: ["lib/reads/"],
    imports: ["domain", "db", "wire", "util"],
    why: "read models behind the API's GET routes",
  },
  {
    name: "domain",
    paths: ["lib/"],
    imports: ["db", "wire", "util"],
    why: "services shared by the entrypoints; knows no HTTP",
  },
  { name: "db", paths: ["db/"], imports: ["wire", "util"], why: "libSQL client and migrations" },
  {
    name: "wire",
    paths: ["wire/"],
    imports: ["util"],
    why: "the protocol: names, schemas, codecs",
  },
  {
    name: "util",
    paths: ["util/"],
    imports: [],
    why: "generic helpers with no kanade knowledge",
  },
];

/** Test helpers and fixtures: only tests (`*_test.ts` anywhere) and layers naming `tests`. */
export const TEST_PATHS = ["tests/"];

export function layerOf(file: string): Layer | null {
  let best: Layer | null = null;
  let len = -1;
  for (const l of LAYERS) {
    for (const p of l.paths) {
      const hit = p.endsWith("/") ? file.startsWith(p) : file === p;
      if (hit && p.length > len) [best, len] = [l, p.length];
    }
  }
  return best;
}

export interface Edge {
  from: string;
  to: string;
}

/** Why `from` may not import `to`, or null when it may. Paths are relative to the root. */
export function violation({ from, to }: Edge): string | null {
  const a = layerOf(from);
  if (!a) return `${from} belongs to no layer (add its folder to tools/layers.ts)`;
  if (TEST_PATHS.some((p) => to.startsWith(p))) {
    return from.endsWith("_test.ts") || a.imports.includes("tests")
      ? null
      : `${from} imports test code ${to}`;
  }
  const b = layerOf(to);
  if (!b) return `${from} imports ${to}, which belongs to no layer`;
  if (a === b || a.imports.includes("*") || a.imports.includes(b.name)) return null;
  return `${from} (${a.name}) imports ${to} (${b.name}): ${a.name} may import ${
    a.imports.join(", ") || "nothing"
  }`;
}

/** Relative module specifiers of a source text: static, re-export, side-effect, dynamic. */
export function importsOf(source: string): string[] {
  const out = new Set<string>();
  const patterns = [
    /\bfrom\s*["'](\.{1,2}\/[^"']+)["']/g,
    /\bimport\s*["'](\.{1,2}\/[^"']+)["']/g,
    /\bimport\s*\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) out.add(m[1]);
  return [...out];
}

/** `spec` imported by `from`, as a root-relative path (`handlers/x/y.ts` + `../../lib/a.ts`). */
export function resolve(from: string, spec: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const seg of spec.split("/")) {
    if (seg === "..") parts.pop();
    else if (seg !== ".") parts.push(seg);
  }
  return parts.join("/");
}

const ROOT = new URL("../", import.meta.url);
const SKIP = new Set(["tests", "node_modules", "data", "static", ".git"]);

/** Every .ts file below the root outside tests/, node_modules and data (root-relative). */
export async function sourceFiles(dir = ROOT, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory && !SKIP.has(e.name) && !e.name.startsWith(".")) {
      out.push(...await sourceFiles(new URL(`${e.name}/`, dir), `${prefix}${e.name}/`));
    } else if (e.isFile && e.name.endsWith(".ts")) {
      out.push(prefix + e.name);
    }
  }
  return out.sort();
}

/** Every import edge between the source files. */
export async function importGraph(): Promise<Edge[]> {
  const edges: Edge[] = [];
  for (const from of await sourceFiles()) {
    const text = await Deno.readTextFile(new URL(from, ROOT));
    for (const spec of importsOf(text)) edges.push({ from, to: resolve(from, spec) });
  }
  return edges;
}

export const START_MARK = "<!-- layers:start -->";
export const END_MARK = "<!-- layers:end -->";

/** The README's layer table. */
export function renderLayers(): string {
  const lines = [
    "| layer | where | may import | why |",
    "|---|---|---|---|",
    ...LAYERS.map((l) =>
      `| ${l.name} | ${l.paths.map((p) => `\`${p}\``).join(", ")} | ${
        l.imports.map((i) => i === "*" ? "any layer" : i).join(", ") || "—"
      } | ${l.why} |`
    ),
  ];
  return lines.join("\n") + "\n";
}

if (import.meta.main) {
  const table = renderLayers();
  const readmePath = new URL("README.md", ROOT);
  const mode = Deno.args[0];
  if (mode === "--write" || mode === "--check") {
    const readme = await Deno.readTextFile(readmePath);
    const next = replaceMarked(readme, table, START_MARK, END_MARK);
    if (mode === "--check" && next !== readme) {
      console.error("README layer table is stale: run deno run -A tools/layers.ts --write");
      Deno.exit(1);
    }
    if (mode === "--write" && next !== readme) await Deno.writeTextFile(readmePath, next);
  } else {
    console.log(table);
  }
}
