/**
 * Edge validation on synthetic routes (no broker, no DB): the handler sees parsed input,
 * every invalid parameter or body is a 400 with the uniform message, nothing is clamped,
 * and authentication still comes first.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { buildApp } from "./router.ts";
import { defineRoute } from "./route.ts";
import { loadConfig } from "../lib/config.ts";
import { logger } from "../lib/log.ts";
import type { Deps } from "../lib/deps.ts";

const TOKEN = "edge-test-token";
const config = loadConfig({ args: [], env: { KANADE_AUTH_STATIC_TOKEN: TOKEN } });
// The router reads only config and log; no route here touches NATS or the DB.
const deps = { config, log: logger({ test: "validate" }) } as unknown as Deps;

const routes = [
  defineRoute({
    method: "GET",
    path: "/api/t/items/:id",
    role: "viewer",
    request: {
      params: z.object({ id: z.string().regex(/^[a-z]+$/, "must be lowercase letters") }),
      query: z.object({
        limit: z.coerce.number().int().min(1, "must be 1..50").max(50, "must be 1..50")
          .default(5),
        flag: z.enum(["true", "false"]).optional(),
      }),
    },
    handler: (c) => c.json({ params: c.req.valid("param"), query: c.req.valid("query") }),
  }),
  defineRoute({
    method: "POST",
    path: "/api/t/body",
    role: "operator",
    bodyLimit: 256,
    request: { body: { json: z.object({ a: z.number(), b: z.string().default("x") }) } },
    handler: (c) => c.json(c.req.valid("json")),
  }),
  defineRoute({
    method: "PUT",
    path: "/api/t/optional",
    role: "operator",
    request: { body: { json: z.object({ n: z.number().optional() }), optional: true } },
    handler: (c) => c.json(c.req.valid("json")),
  }),
  defineRoute({
    method: "POST",
    path: "/api/t/doc",
    role: "operator",
    request: { body: { document: z.object({ id: z.string() }) } },
    handler: (c) => c.json(c.req.valid("json")),
  }),
];
const app = buildApp(deps, routes);

async function call(path: string, init: RequestInit = {}, auth = true) {
  const headers = new Headers(init.headers);
  if (auth) headers.set("authorization", `Bearer ${TOKEN}`);
  const res = await app.request(path, { ...init, headers });
  return { status: res.status, body: await res.json() };
}

Deno.test("edge validation: handlers get parsed params and query", async (t) => {
  await t.step("defaults and coercion", async () => {
    const r = await call("/api/t/items/abc");
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { params: { id: "abc" }, query: { limit: 5 } });
    const r2 = await call("/api/t/items/abc?limit=50&flag=true&other=ignored");
    assert.deepEqual(r2.body.query, { limit: 50, flag: "true" });
  });
  await t.step("out of range is a 400, never a clamp", async () => {
    for (
      const [q, msg] of [
        ["limit=0", "invalid query: limit: must be 1..50"],
        ["limit=51", "invalid query: limit: must be 1..50"],
        ["flag=maybe", 'invalid query: flag: Invalid option: expected one of "true"|"false"'],
      ]
    ) {
      const r = await call(`/api/t/items/abc?${q}`);
      assert.equal(r.status, 400, q);
      assert.deepEqual(r.body, { error: msg, status: 400 }, q);
    }
  });
  await t.step("several bad parameters are reported together", async () => {
    const r = await call("/api/t/items/abc?limit=x&flag=1");
    assert.equal(r.status, 400);
    assert.match(r.body.error, /^invalid query: limit: .+; flag: .+$/);
  });
  await t.step("a bad path parameter names the path", async () => {
    const r = await call("/api/t/items/ABC");
    assert.deepEqual(r.body, { error: "invalid path: id: must be lowercase letters", status: 400 });
  });
  await t.step("authentication comes before validation", async () => {
    const r = await call("/api/t/items/ABC?limit=0", {}, false);
    assert.equal(r.status, 401);
  });
});

Deno.test("edge validation: JSON and document bodies", async (t) => {
  const post = (path: string, body: string, type = "application/json", method = "POST") =>
    call(path, { method, body, headers: { "content-type": type } });
  await t.step("a valid JSON body arrives parsed, with defaults", async () => {
    assert.deepEqual((await post("/api/t/body", '{"a":1}')).body, { a: 1, b: "x" });
  });
  await t.step("invalid, malformed, empty and oversized bodies", async () => {
    const bad = await post("/api/t/body", '{"a":"1"}');
    assert.deepEqual(bad.body, {
      error: "invalid body: a: Invalid input: expected number, received string",
      status: 400,
    });
    assert.match((await post("/api/t/body", "{")).body.error, /^invalid JSON: /);
    assert.deepEqual((await post("/api/t/body", "")).body.error, "request body is empty");
    assert.equal((await post("/api/t/body", `{"a":1,"b":"${"y".repeat(300)}"}`)).status, 413);
  });
  await t.step("an optional body may be empty", async () => {
    assert.deepEqual((await post("/api/t/optional", "", "application/json", "PUT")).body, {});
    assert.deepEqual((await post("/api/t/optional", '{"n":2}', "", "PUT")).body, { n: 2 });
  });
  await t.step("a document body is decoded as JSON or YAML and keeps its bytes", async () => {
    assert.deepEqual((await post("/api/t/doc", "id: a # note\n", "application/yaml")).body, {
      value: { id: "a" },
      raw: "id: a # note\n",
      yaml: true,
    });
    assert.deepEqual((await post("/api/t/doc", '{"id":"b"}')).body.value, { id: "b" });
    assert.match((await post("/api/t/doc", "id: [", "text/yaml")).body.error, /^invalid YAML/);
  });
});
