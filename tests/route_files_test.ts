/**
 * The URL → file mapping is regular: `/api/<segment>/…` is served by a file in
 * `handlers/<segment>/` (a dash becoming `_`, a file suffix dropped: `/api/openapi.json` in
 * `handlers/openapi/`; `/health` in `handlers/health/`), and every handler file is mounted.
 */
import assert from "node:assert/strict";
import { allRoutes } from "../handlers/routes.ts";
import { handlerFiles, routeFiles } from "../tools/route_table.ts";

/** The handler folder a route path belongs in. */
export function folderOf(path: string): string {
  const segs = path.split("/").filter(Boolean);
  const first = segs[0] === "api" ? segs[1] : segs[0];
  return first.replace(/\.[a-z]+$/, "").replaceAll("-", "_");
}

Deno.test("folderOf() reads the first segment after /api", () => {
  const table: [string, string][] = [
    ["/api/agents", "agents"],
    ["/api/agents/:pc_id/groups/:group", "agents"],
    ["/api/script-objects/:name/:version", "script_objects"],
    ["/api/obs_events/kinds", "obs_events"],
    ["/health", "health"],
    ["/api/openapi.json", "openapi"],
  ];
  for (const [path, folder] of table) assert.equal(folderOf(path), folder, path);
});

Deno.test("every route lives in the handler folder of its first URL segment", async () => {
  const files = await routeFiles();
  const misplaced = allRoutes
    .map((r) => ({ r, file: files.get(r) }))
    .filter(({ r, file }) => file?.split("/")[1] !== folderOf(r.path))
    .map(({ r, file }) => `${r.method} ${r.path} -> ${file ?? "(no file exports it)"}`);
  assert.deepEqual(
    misplaced,
    [],
    `expected handlers/<first URL segment>/:\n${misplaced.join("\n")}`,
  );
});

Deno.test("every handler file exports a route that the router mounts", async () => {
  const mounted = new Set(allRoutes);
  const files = await routeFiles();
  const unmounted = [...files].filter(([r]) => !mounted.has(r)).map(([, f]) => f);
  assert.deepEqual(unmounted, [], "handler files missing from their folder's mod.ts");
  const withoutRoute = (await handlerFiles()).filter((f) => ![...files.values()].includes(f));
  assert.deepEqual(withoutRoute, [], "files in a handler folder that export no `route`");
});
