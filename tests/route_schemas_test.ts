/**
 * Every route declares its schemas (RouteDef convention, README "API"): responses with a
 * 2xx, path parameters matching its path, and handlers that read their input only through
 * the edge (`c.req.valid(...)`). The OpenAPI document is generated from the same
 * definitions: one operation per route, every path parameter documented.
 */
import assert from "node:assert/strict";
import { allRoutes } from "../handlers/routes.ts";
import { openApiDocument, openApiPath, pathParamNames } from "../handlers/openapi.ts";
import { buildApp } from "../handlers/router.ts";
import { loadConfig } from "../lib/config.ts";
import { logger } from "../lib/log.ts";
import type { Deps } from "../lib/deps.ts";

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

Deno.test("no route clamps: a bounded integer query parameter out of range is a 400 everywhere", async () => {
  // The edge refuses before any handler runs, so the app needs no broker and no database.
  const config = loadConfig({ args: [], env: { KANADE_AUTH_STATIC_TOKEN: "t" } });
  const app = buildApp({ config, log: logger({ test: "clamp" }) } as unknown as Deps, allRoutes);
  const doc = openApiDocument(allRoutes, { title: "t", version: "0" }) as {
    paths: Record<string, Record<string, { parameters?: Param[] }>>;
  };
  const checked: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const concrete = path.replace(/\{[^}]+\}/g, "x");
      for (const p of op.parameters ?? []) {
        const s = p.schema;
        if (p.in !== "query" || s.type !== "integer") continue;
        for (const bad of [s.minimum !== undefined ? s.minimum - 1 : null, s.maximum! + 1]) {
          if (bad === null || Number.isNaN(bad)) continue;
          const res = await app.request(`${concrete}?${p.name}=${bad}`, {
            method: method.toUpperCase(),
            headers: { authorization: "Bearer t" },
          });
          const body = await res.json();
          const where = `${method.toUpperCase()} ${path}?${p.name}=${bad}`;
          assert.equal(res.status, 400, where);
          assert.match(body.error, new RegExp(`^invalid query: ${p.name}: `), where);
          checked.push(where);
        }
      }
    }
  }
  // limit, offset, top, tail, wait_secs … on many routes: the walk must have found them.
  assert.ok(checked.length >= 20, `only ${checked.length} bounded parameters found`);
  assert.ok(checked.some((w) => w.startsWith("GET /api/perf/top?limit=")));
  assert.ok(checked.some((w) => w.startsWith("GET /api/agents/{pc_id}/logs?tail=")));
  assert.ok(checked.some((w) => w.startsWith("POST /api/agents/{pc_id}/ping?wait_secs=")));
});

interface Param {
  name: string;
  in: string;
  schema: { type?: string; minimum?: number; maximum?: number };
}
