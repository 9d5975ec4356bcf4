/**
 * Serving the dashboard: exact hits with MIME + ETag, SPA fallback, /assets/ misses are
 * real 404s, caching rules, traversal refused, API routes win over the fallback, and the
 * shipped static/ tree is internally consistent (every referenced file exists).
 */
import assert from "node:assert/strict";
import { CSP, etagMatches, isHashedAsset, staticHandler } from "../handlers/static_files.ts";
import { ROUTES } from "../static/assets/js/routes.js";
import { startTestBackend } from "./helpers/backend.ts";

async function fixture() {
  const dir = await Deno.makeTempDir({ prefix: "kanade-static-" });
  const root = `${dir}/static`;
  await Deno.mkdir(`${root}/assets/js`, { recursive: true });
  await Deno.writeTextFile(`${root}/index.html`, "<!doctype html><title>x</title>");
  await Deno.writeTextFile(`${root}/assets/js/app.js`, "export const x = 1;\n");
  await Deno.writeTextFile(`${root}/assets/app.0123abcd.js`, "export {};\n");
  await Deno.writeTextFile(`${dir}/secret.txt`, "top secret");
  const serve = staticHandler(new URL(`file://${root}/`));
  return {
    get: (p: string, init?: RequestInit) => serve(new Request(`http://x${p}`, init)),
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}

Deno.test("static: exact hits, SPA fallback, /assets/ 404, caching, traversal", async (t) => {
  const f = await fixture();
  try {
    await t.step("index at / with CSP, ETag, no-cache", async () => {
      const r = await f.get("/");
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-type"), "text/html; charset=utf-8");
      assert.equal(r.headers.get("content-security-policy"), CSP);
      assert.equal(r.headers.get("cache-control"), "no-cache");
      assert.match(r.headers.get("etag") ?? "", /^"[0-9a-f]{24}"$/);
      assert.match(await r.text(), /<title>x<\/title>/);
    });
    await t.step("client routes fall back to index.html", async () => {
      for (const p of ["/agents/PC-001", "/jobs/new", "/activity/abc", "/login?next=%2Fjobs"]) {
        const r = await f.get(p);
        assert.equal(r.status, 200, p);
        assert.equal(r.headers.get("content-type"), "text/html; charset=utf-8", p);
        assert.match(await r.text(), /<title>x/);
      }
    });
    await t.step("assets: JS MIME, revalidated (unhashed) or immutable (hashed)", async () => {
      const r = await f.get("/assets/js/app.js");
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-type"), "text/javascript; charset=utf-8");
      assert.equal(r.headers.get("cache-control"), "no-cache");
      assert.equal(r.headers.get("x-content-type-options"), "nosniff");
      assert.equal(await r.text(), "export const x = 1;\n");
      const hashed = await f.get("/assets/app.0123abcd.js");
      assert.equal(hashed.headers.get("cache-control"), "public, max-age=31536000, immutable");
      await hashed.body?.cancel();
    });
    await t.step("a miss under /assets/ is an empty 404, never HTML", async () => {
      for (const p of ["/assets/js/missing.js", "/assets/", "/assets/css/app.css"]) {
        const r = await f.get(p);
        assert.equal(r.status, 404, p);
        assert.equal(await r.text(), "", p);
      }
    });
    await t.step("If-None-Match answers 304 without a body; a stale tag gets 200", async () => {
      const first = await f.get("/assets/js/app.js");
      const etag = first.headers.get("etag")!;
      await first.body?.cancel();
      const again = await f.get("/assets/js/app.js", { headers: { "if-none-match": etag } });
      assert.equal(again.status, 304);
      assert.equal(await again.text(), "");
      const weak = await f.get("/assets/js/app.js", { headers: { "if-none-match": `W/${etag}` } });
      assert.equal(weak.status, 304);
      await weak.body?.cancel();
      const stale = await f.get("/assets/js/app.js", { headers: { "if-none-match": '"nope"' } });
      assert.equal(stale.status, 200);
      await stale.body?.cancel();
    });
    await t.step("HEAD has headers and no body; other methods 405", async () => {
      const r = await f.get("/assets/js/app.js", { method: "HEAD" });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-length"), "20");
      assert.equal(await r.text(), "");
      const p = await f.get("/", { method: "POST" });
      assert.equal(p.status, 405);
      await p.body?.cancel();
    });
    await t.step("traversal and NUL never escape the root", async () => {
      for (const p of ["/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt"]) {
        const r = await f.get(p);
        const body = await r.text();
        assert.ok(!body.includes("top secret"), p);
      }
      const nul = await f.get("/a%00b");
      assert.equal(nul.status, 400);
      await nul.body?.cancel();
      const bad = await f.get("/%E0%A4%A");
      assert.equal(bad.status, 400);
      await bad.body?.cancel();
    });
  } finally {
    await f.cleanup();
  }
});

Deno.test("static: pure helpers", () => {
  const hashed: [string, boolean][] = [
    ["assets/app.0123abcd.js", true],
    ["assets/js/app.js", false],
    ["assets/css/app.css", false],
    ["index.0123abcd.js", false],
    ["assets/app.0123abc.js", false],
  ];
  for (const [f, want] of hashed) assert.equal(isHashedAsset(f), want, f);
  const etags: [string | null, boolean][] = [
    [null, false],
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ["*", true],
    ['"abcd"', false],
  ];
  for (const [h, want] of etags) assert.equal(etagMatches(h, '"abc"'), want, String(h));
});

Deno.test("static: the shipped dashboard references only files that exist", async () => {
  const root = new URL("../static/", import.meta.url);
  const html = await Deno.readTextFile(new URL("index.html", root));
  const refs = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  assert.ok(refs.length >= 3, "index.html loads its CSS, boot script and app module");
  for (const r of refs) await Deno.stat(new URL(`.${r}`, root));
  // Every relative import in every module resolves.
  const jsDir = new URL("assets/js/", root);
  const seen: string[] = [];
  for await (const entry of walk(jsDir)) {
    const text = await Deno.readTextFile(entry);
    for (const m of text.matchAll(/from "(\.{1,2}\/[^"]+)"/g)) {
      await Deno.stat(new URL(m[1], entry));
      seen.push(m[1]);
    }
  }
  assert.ok(seen.length > 20);
  // Every routed page has its module.
  for (const page of new Set([...ROUTES.map((r) => r.page), "not_found"])) {
    await Deno.stat(new URL(`pages/${page}.js`, jsDir));
  }
});

async function* walk(dir: URL): AsyncGenerator<URL> {
  for await (const e of Deno.readDir(dir)) {
    const u = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
    if (e.isDirectory) yield* walk(u);
    else if (e.name.endsWith(".js")) yield u;
  }
}

Deno.test("static: API routes win over the SPA fallback", async () => {
  const be = await startTestBackend({ waves: false });
  try {
    const health = await be.request("/health");
    assert.equal(await health.text(), "ok");
    const v = await be.request("/api/version", { headers: { authorization: "" } });
    assert.equal(v.headers.get("content-type")?.startsWith("application/json"), true);
    await v.body?.cancel();
    // An unknown API path is a JSON error, never the HTML shell.
    const miss = await be.request("/api/definitely-not-a-route");
    assert.equal(miss.status, 404);
    assert.equal((await miss.json()).status, 404);
    const anon = await be.request("/api/definitely-not-a-route", {
      headers: { authorization: "Bearer wrong" },
    });
    assert.equal(anon.status, 401);
    await anon.body?.cancel();
    // Client routes are public HTML (the token lives in the browser, not a cookie).
    const page = await be.request("/agents/PC-1", { headers: { authorization: "" } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="\/assets\/js\/app\.js">/);
    const asset = await be.request("/assets/js/nope.js");
    assert.equal(asset.status, 404);
    await asset.body?.cancel();
  } finally {
    await be.stop();
  }
});
