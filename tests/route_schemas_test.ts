/**
 * Every route declares its schemas (RouteDef convention, README "API"): responses with a
 * 2xx, path parameters matching its path, and handlers that read their input only through
 * the edge (`c.req.valid(...)`). The OpenAPI document is generated from the same
 * definitions: one operation per route, every path parameter documented.
 */
import assert from "node:assert/strict";
import { allRoutes } from "../handlers/routes.ts";
import { openApiDocument, openApiPath, pathParamNames } from "../handlers/openapi.ts";

const label = (r: { method: string; path: string }) => `${r.method} ${r.path}`;

Deno.test("every route declares a success response", () => {
  const missing = allRoutes
    .filter((r) => !Object.keys(r.responses ?? {}).some((s) => +s >= 200 && +s < 300))
    .map(label);
  assert.deepEqual(missing, [], "routes without `responses` (at least one 2xx)");
});

Deno.test("every route with path parameters declares exactly those", () => {
  const wrong: string[] = [];
  for (const r of allRoutes) {
    const want = pathParamNames(r.path).sort();
    const schema = r.request?.params as { shape?: Record<string, unknown> } | undefined;
    const got = Object.keys(schema?.shape ?? {}).sort();
    if (want.join() !== got.join()) wrong.push(`${label(r)}: path [${want}] vs schema [${got}]`);
  }
  assert.deepEqual(wrong, []);
});

/** Raw input readers a handler must not use: the edge parses params, query and body. */
const RAW_INPUT = [
  /c\.req\.query\(/,
  /c\.req\.queries\(/,
  /c\.req\.param\(/,
  /c\.req\.json\(/,
  /c\.req\.text\(/,
  /c\.req\.parseBody\(/,
  /\breadJson\(/,
  /\breadDocument\(/,
];
/** The edge itself and the router are where raw input is read. */
const EDGE_FILES = new Set(["route.ts", "router.ts", "validate.ts"]);

async function* handlerSources(dir: URL): AsyncGenerator<[string, string]> {
  for await (const e of Deno.readDir(dir)) {
    const u = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
    if (e.isDirectory) yield* handlerSources(u);
    else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) {
      yield [u.pathname, await Deno.readTextFile(u)];
    }
  }
}

Deno.test("handlers read their input through the edge, never raw", async () => {
  const offenders: string[] = [];
  const root = new URL("../handlers/", import.meta.url);
  for await (const [path, src] of handlerSources(root)) {
    const rel = path.slice(root.pathname.length);
    if (EDGE_FILES.has(rel)) continue;
    for (const re of RAW_INPUT) if (re.test(src)) offenders.push(`${rel}: ${re.source}`);
  }
  assert.deepEqual(offenders, [], "use request: {params, query, body} and c.req.valid()");
});

Deno.test("the OpenAPI document has one operation per route and documents every parameter", () => {
  const doc = openApiDocument(allRoutes, { title: "t", version: "0" }) as {
    openapi: string;
    paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
  };
  assert.equal(doc.openapi, "3.1.0");
  let ops = 0;
  for (const r of allRoutes) {
    const op = doc.paths[openApiPath(r.path)]?.[r.method.toLowerCase()];
    assert.ok(op, `no operation for ${label(r)}`);
    ops++;
    const inPath = (op.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name);
    assert.deepEqual(inPath.sort(), pathParamNames(r.path).sort(), label(r));
  }
  const total = Object.values(doc.paths).reduce((n, p) => n + Object.keys(p).length, 0);
  assert.equal(total, ops, "no operation without a route");
  const ids = Object.values(doc.paths).flatMap((p) =>
    Object.values(p).map((o) => (o as { operationId: string }).operationId)
  );
  assert.equal(new Set(ids).size, ids.length, "operationIds are unique");
});
