/**
 * The README's route → method → role → file table, rendered from `allRoutes` so it cannot
 * drift (`deno task routes` runs it):
 *   deno run -A tools/route_table.ts           print the table
 *   deno run -A tools/route_table.ts --write   replace the README section between
 *                                            `<!-- routes:start -->` and `<!-- routes:end -->`
 *   deno run -A tools/route_table.ts --check   exit 1 when the README section is stale
 * The file column is found, not declared: every handler file is imported and its exported
 * `route` matched to the mounted one.
 */
import type { RouteDef } from "../handlers/route.ts";
import { routeOrder } from "../handlers/router.ts";
import { replaceMarked } from "./readme.ts";

export const START_MARK = "<!-- routes:start -->";
export const END_MARK = "<!-- routes:end -->";

/** Hono `:id` → upstream `{id}`, the form the docs and clients use. */
export function displayPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, "{$1}");
}

const HANDLERS = new URL("../handlers/", import.meta.url);

/** Handler files below `handlers/` (not `mod.ts`, `_`-private helpers or tests), sorted. */
export async function handlerFiles(dir = HANDLERS, prefix = "handlers/"): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory) {
      out.push(...await handlerFiles(new URL(`${e.name}/`, dir), `${prefix}${e.name}/`));
    } else if (
      prefix !== "handlers/" && e.name.endsWith(".ts") && e.name !== "mod.ts" &&
      !e.name.startsWith("_") && !e.name.endsWith("_test.ts")
    ) {
      out.push(prefix + e.name);
    }
  }
  return out.sort();
}

/** The file (relative to the repository) that exports each route object. */
export async function routeFiles(): Promise<Map<RouteDef, string>> {
  const files = new Map<RouteDef, string>();
  for (const f of await handlerFiles()) {
    const mod = await import(new URL(`../${f}`, import.meta.url).href);
    if (mod.route) files.set(mod.route as RouteDef, f);
  }
  return files;
}

function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ").trim();
}

export function renderRouteTable(
  routes: readonly RouteDef[],
  files: ReadonlyMap<RouteDef, string> = new Map(),
): string {
  const rows = [...routes].sort((a, b) => routeOrder(a, b) || a.method.localeCompare(b.method));
  const fileCell = (r: RouteDef) => files.has(r) ? `\`${files.get(r)}\`` : "";
  const lines = [
    "| Route | Method | Role | Summary | File |",
    "|---|---|---|---|---|",
    ...rows.map((r) =>
      `| \`${cell(displayPath(r.path))}\` | ${r.method} | ${r.role} | ${cell(r.summary ?? "")} | ${
        fileCell(r)
      } |`
    ),
  ];
  return lines.join("\n") + "\n";
}

/** Replace the route section of the README (see tools/readme.ts). */
export function replaceSection(readme: string, table: string): string {
  return replaceMarked(readme, table, START_MARK, END_MARK);
}

if (import.meta.main) {
  const { allRoutes } = await import("../handlers/routes.ts");
  const table = renderRouteTable(allRoutes, await routeFiles());
  const readmePath = new URL("../README.md", import.meta.url);
  const mode = Deno.args[0];
  if (mode === "--write" || mode === "--check") {
    let readme: string;
    try {
      readme = await Deno.readTextFile(readmePath);
    } catch (e) {
      console.error(`cannot read README.md: ${(e as Error).message}`);
      Deno.exit(2);
    }
    let next: string;
    try {
      next = replaceSection(readme, table);
    } catch (e) {
      console.error((e as Error).message);
      Deno.exit(2);
    }
    if (mode === "--check") {
      if (next !== readme) {
        console.error("README route table is stale: run deno run -A tools/route_table.ts --write");
        Deno.exit(1);
      }
      console.error(`README route table is current (${allRoutes.length} routes)`);
    } else {
      if (next !== readme) await Deno.writeTextFile(readmePath, next);
      console.error(`README route table: ${allRoutes.length} routes written`);
    }
  } else {
    console.log(table);
  }
}
