/**
 * The router's hardening on synthetic routes: timeouts (and their opt-out), one JSON error
 * shape for our errors, Hono's, driver errors and crashes, no internals in bodies, body
 * caps, security headers, 404/405.
 */
import assert from "node:assert/strict";
import { startTestBackend } from "./helpers/backend.ts";
import { buildApp, pathFits } from "../handlers/router.ts";
import { defineRoute, readJson } from "../handlers/route.ts";
import { badRequest, internal } from "../lib/errors.ts";
import { z } from "zod";
import { streamSSE } from "hono/streaming";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("pathFits(): 405 vs 404 decisions", () => {
  const table: [string, string, boolean][] = [
    ["/api/jobs/:id", "/api/jobs/x", true],
    ["/api/jobs/:id", "/api/jobs/", false],
    ["/api/jobs/:id", "/api/jobs/x/y", false],
    ["/api/jobs", "/api/jobs", true],
    ["/api/files/*", "/api/files/a/b", true],
    ["/api/jobs/:id/yaml", "/api/jobs/x/yml", false],
  ];
  for (const [route, path, fits] of table) {
    assert.equal(pathFits(route, path), fits, `${route} ${path}`);
  }
});

Deno.test({
  name: "router: timeouts, error mapping, caps and headers",
  sanitizeOps: false,
  async fn(t) {
    const be = await startTestBackend({ env: { KANADE_REQUEST_TIMEOUT_MS: "300" } });
    const routes = [
      defineRoute({
        method: "GET",
        path: "/api/t/slow",
        role: "viewer",
        handler: async (c) => {
          await sleep(1000);
          return c.json({ late: true });
        },
      }),
      defineRoute({
        method: "GET",
        path: "/api/t/slow-fail",
        role: "viewer",
        handler: async () => {
          await sleep(600);
          throw new Error("late failure after the timeout");
        },
      }),
      defineRoute({
        method: "GET",
        path: "/api/t/long",
        role: "viewer",
        timeoutMs: 0,
        handler: async (c) => {
          await sleep(500);
          return c.json({ waited: true });
        },
      }),
      defineRoute({
        method: "GET",
        path: "/api/t/custom",
        role: "viewer",
        timeoutMs: 100,
        handler: async (c) => {
          await sleep(250);
          return c.json({});
        },
      }),
      defineRoute({
        method: "GET",
        path: "/api/t/crash",
        role: "viewer",
        handler: () => {
          throw new Error(
            'SQLITE_ERROR: near "SELECT * FROM secrets": syntax error\n    at foo.ts:1:1',
          );
        },
      }),
      defineRoute({
        method: "GET",
        path: "/api/t/leaky",
        role: "viewer",
        handler: () => {
          throw internal("insert failed: SQLITE_CONSTRAINT: INSERT INTO agents ...");
        },
      }),
      defineRoute({
        method: "GET",
        path: "/api/t/busy",
        role: "viewer",
        handler: () => {
          throw new Error("SQLITE_BUSY: database is locked");
        },
      }),
      defineRoute({
        method: "GET",
        path: "/api/t/bad",
        role: "viewer",
        handler: () => {
          throw badRequest("nope");
        },
      }),
      defineRoute({
        method: "GET",
        path: "/api/t/uri",
        role: "viewer",
        handler: (c) => {
          decodeURIComponent(c.req.query("q") ?? "");
          return c.json({});
        },
      }),
      defineRoute({
        method: "POST",
        path: "/api/t/body",
        role: "operator",
        bodyLimit: 64,
        handler: async (c) => {
          const v = await readJson(c, z.object({ a: z.number() }));
          return c.json(v);
        },
      }),
      defineRoute({
        method: "GET",
        path: "/api/t/stream",
        role: "viewer",
        handler: (c) =>
          streamSSE(c, async (stream) => {
            await stream.writeSSE({ event: "ready", data: "{}" });
            await sleep(700); // past the 300 ms request timeout
            await stream.writeSSE({ event: "late", data: "{}" });
          }),
      }),
      defineRoute({
        method: "GET",
        path: "/api/t/cached",
        role: "viewer",
        handler: (c) => {
          c.header("cache-control", "max-age=5");
          return c.json({});
        },
      }),
    ];
    const app = buildApp(be.deps, routes);
    const req = (path: string, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      if (!headers.has("authorization")) headers.set("authorization", `Bearer ${be.token}`);
      return Promise.resolve(app.request(path, { ...init, headers }));
    };
    const errorOf = async (res: Response) => {
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      const body = await res.json();
      assert.equal(body.status, res.status);
      return body.error as string;
    };
    try {
      await t.step("a slow handler is cut at the configured timeout with a JSON 503", async () => {
        const t0 = Date.now();
        const res = await req("/api/t/slow");
        const took = Date.now() - t0;
        assert.equal(res.status, 503);
        assert.equal(res.headers.get("retry-after"), "1");
        assert.match(await errorOf(res), /timed out after 300 ms/);
        assert.ok(took >= 280 && took < 900, `took ${took} ms`);
      });
      await t.step("a late failure of a timed-out handler is swallowed", async () => {
        const res = await req("/api/t/slow-fail");
        assert.equal(res.status, 503);
        await res.body?.cancel();
        await sleep(500); // the handler now throws; an unhandled rejection would fail the test
      });
      await t.step("timeoutMs: 0 opts out, timeoutMs overrides", async () => {
        const long = await req("/api/t/long");
        assert.equal(long.status, 200);
        assert.deepEqual(await long.json(), { waited: true });
        const custom = await req("/api/t/custom");
        assert.equal(custom.status, 503);
        assert.match(await errorOf(custom), /100 ms/);
      });
      await t.step("crashes are a generic 500 without internals; busy is 503", async () => {
        const crash = await req("/api/t/crash");
        assert.equal(crash.status, 500);
        const text = await crash.text();
        assert.deepEqual(JSON.parse(text), { error: "internal error", status: 500 });
        const leaky = await req("/api/t/leaky");
        assert.equal(leaky.status, 500);
        assert.equal(await errorOf(leaky), "internal error");
        const busy = await req("/api/t/busy");
        assert.equal(busy.status, 503);
        assert.equal(await errorOf(busy), "database busy, retry shortly");
        assert.equal((await req("/api/t/bad")).status, 400);
        const uri = await req("/api/t/uri?q=%E0%A4%A");
        assert.equal(uri.status, 400);
        assert.match(await errorOf(uri), /percent-encoding/);
      });
      await t.step("body caps and malformed bodies are JSON 4xx", async () => {
        const post = (body: string, headers: Record<string, string> = {}) =>
          req("/api/t/body", {
            method: "POST",
            body,
            headers: { "content-type": "application/json", ...headers },
          });
        assert.equal((await post('{"a":1}')).status, 200);
        const big = await post(JSON.stringify({ a: 1, pad: "x".repeat(100) }));
        assert.equal(big.status, 413);
        assert.match(await errorOf(big), /exceeds 64 bytes/);
        const bad = await post("{nope");
        assert.equal(bad.status, 400);
        assert.match(await errorOf(bad), /invalid JSON/);
        const wrong = await post('{"a":"1"}');
        assert.equal(wrong.status, 400);
        // Auth comes before the body is read: an anonymous huge body is a 401.
        const anon = await post("x".repeat(1000), { authorization: "" });
        assert.equal(anon.status, 401);
      });
      await t.step("security headers on API responses, errors included", async () => {
        for (const path of ["/api/t/bad", "/api/t/long", "/api/nowhere"]) {
          const res = await req(path);
          await res.body?.cancel();
          assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
          assert.equal(res.headers.get("cache-control"), "no-store", path);
          assert.equal(res.headers.get("x-frame-options"), "DENY", path);
        }
        const cached = await req("/api/t/cached");
        await cached.body?.cancel();
        assert.equal(cached.headers.get("cache-control"), "max-age=5");
      });
      await t.step("a stream is not cut by the request timeout once it has started", async () => {
        const res = await req("/api/t/stream");
        assert.equal(res.status, 200);
        const text = await res.text();
        assert.match(text, /event: ready/);
        assert.match(text, /event: late/);
      });
      await t.step("404, 405 and HEAD", async () => {
        const nf = await req("/elsewhere");
        assert.equal(nf.status, 404);
        assert.match(await errorOf(nf), /no route/);
        const m = await req("/api/t/bad", { method: "DELETE" });
        assert.equal(m.status, 405);
        assert.equal(m.headers.get("allow"), "GET, HEAD");
        await m.body?.cancel();
        const head = await req("/api/t/bad", { method: "HEAD" });
        assert.equal(head.status, 400);
        await head.body?.cancel();
      });
    } finally {
      await sleep(600); // let the background handlers above settle before closing deps
      await be.stop();
    }
  },
});
