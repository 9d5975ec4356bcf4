/**
 * App packages over real HTTP against a real broker: name rules, streamed multipart upload
 * (upstream's 400s, no partial object after a client disconnects mid-body), download with
 * ETag / If-Match / If-None-Match / Range / 416 / HEAD, replace while downloads run
 * (each download is wholly the old or wholly the new object), delete, 503, and a download
 * whose pull the broker lost.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { startTestBackend, type TestBackend, waitFor } from "./helpers/backend.ts";
import { OBJECT_STORE } from "../wire/names.ts";
import {
  chunkSubject,
  objStream,
  openChunkStream,
  retirementsSettled,
} from "../lib/app_packages/object_io.ts";
import { packageInfo, sweepPackageOrphans } from "../lib/app_packages/store.ts";
import { connectNats } from "../lib/nats.ts";
import { startPullSwallowingProxy } from "./helpers/pull_swallowing_proxy.ts";
import { buildApp } from "../handlers/router.ts";
import { route as uploadRoute } from "../handlers/app_packages/upload.ts";

const BUCKET = OBJECT_STORE.appPackages;

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const storeDigest = (b: Uint8Array) =>
  `SHA-256=${createHash("sha256").update(b).digest("base64url")}=`;

function form(files: [string, Uint8Array][], fields: [string, string][] = []): FormData {
  const f = new FormData();
  for (const [k, v] of fields) f.append(k, v);
  for (const [k, v] of files) f.append(k, new Blob([v as Uint8Array<ArrayBuffer>]), "pkg.msi");
  return f;
}

async function upload(url: string, token: string, path: string, body: FormData | BodyInit) {
  const res = await fetch(`${url}/api/app-packages/${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body,
  });
  return { status: res.status, body: await res.json() };
}

/** Chunk subjects in the store's stream and how many chunks each holds. */
async function chunkSubjects(b: TestBackend): Promise<Record<string, number>> {
  const si = await b.deps.nats.jsm.streams.info(objStream(BUCKET), {
    subjects_filter: `$O.${BUCKET}.C.>`,
  });
  return si.state.subjects ?? {};
}

async function liveChunkCount(b: TestBackend): Promise<number> {
  const os = await b.deps.nats.obj(BUCKET);
  return (await os.list()).filter((i) => !i.deleted).reduce((n, i) => n + i.chunks, 0);
}

async function assertNoOrphans(b: TestBackend) {
  await retirementsSettled();
  const stored = Object.values(await chunkSubjects(b)).reduce((n, c) => n + c, 0);
  assert.equal(stored, await liveChunkCount(b), "every stored chunk belongs to a live object");
}

Deno.test({
  name: "app packages: upload, download, ranges, conditionals, replace, delete",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const b = await startTestBackend();
    const { url } = await b.listen();
    const auth = { authorization: `Bearer ${b.token}` };
    const get = (path: string, headers: Record<string, string> = {}, method = "GET") =>
      fetch(`${url}/api/app-packages/${path}`, { method, headers: { ...auth, ...headers } });
    try {
      const v1 = bytes(3 * 1024 * 1024 + 12345, 7);

      await t.step("name rules: upstream's 400s", async () => {
        for (
          const [path, re] of [
            ["a%22b/1", /name must not contain '"' or '\\'/],
            ["a%5Cb/1", /name must not contain/],
            ["caf%C3%A9/1", /name must be ASCII without control characters/],
            ["tab%09x/1", /name must be ASCII/],
            [`app/${"v".repeat(300)}`, /version must be at most 256 characters/],
            ["a%2Fb/1", /name must not contain '\/'/],
          ] as const
        ) {
          const r = await upload(url, b.token, path, form([["file", v1.subarray(0, 10)]]));
          assert.equal(r.status, 400, path);
          assert.match(r.body.error, re, path);
          const d = await get(path);
          assert.equal(d.status, 400, `GET ${path}`);
          await d.body?.cancel();
        }
      });

      await t.step("upload streams the file; other fields are ignored; audited", async () => {
        const r = await upload(
          url,
          b.token,
          "office/1.0",
          form([["file", v1]], [["note", "x"], ["version", "ignored"]]),
        );
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.name, "office");
        assert.equal(r.body.version, "1.0");
        assert.equal(r.body.size, v1.length);
        assert.equal(r.body.digest, storeDigest(v1));
        const list = await (await fetch(`${url}/api/app-packages`, { headers: auth })).json();
        assert.deepEqual(list.map((p: { name: string }) => p.name), ["office"]);
        assert.equal(list[0].digest, storeDigest(v1));
        // The library reader (what other clients use) reads the same bytes.
        const os = await b.deps.nats.obj(BUCKET);
        assert.deepEqual(await os.getBlob("office/1.0"), v1);
      });

      await t.step("upstream's multipart 400s leave nothing behind", async () => {
        const cases: [BodyInit | FormData, RegExp][] = [
          [form([]), /^missing 'file' field$/],
          [form([["file", new Uint8Array(0)]]), /^'file' field is empty$/],
          [
            form([["file", v1.subarray(0, 300_000)], ["file", v1.subarray(0, 5)]]),
            /more than one 'file' field/,
          ],
          [new Blob(["plain"]), /multipart\/form-data/],
        ];
        for (const [body, re] of cases) {
          const r = await upload(url, b.token, "office/1.0", body);
          assert.equal(r.status, 400);
          assert.match(r.body.error, re);
        }
        const still = await get("office/1.0");
        assert.equal(still.headers.get("etag"), `"${storeDigest(v1)}"`, "not replaced");
        await still.body?.cancel();
        await assertNoOrphans(b);
      });

      const etag = `"${storeDigest(v1)}"`;
      await t.step("download: headers, body, HEAD", async () => {
        const res = await get("office/1.0");
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("content-length"), String(v1.length));
        assert.equal(res.headers.get("accept-ranges"), "bytes");
        assert.equal(res.headers.get("content-type"), "application/octet-stream");
        assert.equal(res.headers.get("content-disposition"), 'attachment; filename="office-1.0"');
        assert.equal(res.headers.get("etag"), etag);
        assert.deepEqual(new Uint8Array(await res.arrayBuffer()), v1);
        const head = await get("office/1.0", {}, "HEAD");
        assert.equal(head.status, 200);
        assert.equal(head.headers.get("content-length"), String(v1.length));
        assert.equal(head.headers.get("etag"), etag);
        assert.equal((await head.arrayBuffer()).byteLength, 0);
        const missing = await get("office/9.9");
        assert.equal(missing.status, 404);
        assert.match((await missing.json()).error, /app package 'office\/9\.9' not found/);
      });

      await t.step("conditionals: If-Match → 412, If-None-Match → 304, If-Range", async () => {
        const bad = await get("office/1.0", { "if-match": '"SHA-256=other="' });
        assert.equal(bad.status, 412);
        assert.equal((await bad.json()).status, 412);
        const ok = await get("office/1.0", { "if-match": etag });
        assert.equal(ok.status, 200);
        await ok.body?.cancel();
        const same = await get("office/1.0", { "if-none-match": `"x", ${etag}` });
        assert.equal(same.status, 304);
        assert.equal(same.headers.get("etag"), etag);
        const stale = await get("office/1.0", { range: "bytes=0-9", "if-range": '"old"' });
        assert.equal(stale.status, 200, "If-Range with another tag sends everything");
        assert.equal((await stale.arrayBuffer()).byteLength, v1.length);
      });

      await t.step("ranges → 206 with exact bytes across chunk boundaries", async () => {
        const C = 128 * 1024;
        const total = v1.length;
        for (
          const [h, start, end] of [
            ["bytes=0-9", 0, 9],
            [`bytes=${C - 5}-${C + 4}`, C - 5, C + 4],
            [`bytes=${3 * C + 1}-`, 3 * C + 1, total - 1],
            [`bytes=${total - 1}-${total + 100}`, total - 1, total - 1],
            ["bytes=-100", total - 100, total - 1],
            [`bytes=${20 * C}-${20 * C}`, 20 * C, 20 * C],
          ] as const
        ) {
          const res = await get("office/1.0", { range: h });
          assert.equal(res.status, 206, h);
          assert.equal(res.headers.get("content-range"), `bytes ${start}-${end}/${total}`, h);
          assert.equal(res.headers.get("content-length"), String(end - start + 1), h);
          assert.deepEqual(new Uint8Array(await res.arrayBuffer()), v1.subarray(start, end + 1), h);
        }
        for (
          const h of [`bytes=${total}-`, "bytes=abc", "bytes=5-1", "bytes=0-1,4-5", "items=0-1"]
        ) {
          const res = await get("office/1.0", { range: h });
          assert.equal(res.status, 416, h);
          assert.equal(res.headers.get("content-range"), `bytes */${total}`, h);
          assert.equal((await res.json()).status, 416);
        }
      });

      await t.step("a client that disconnects mid-upload leaves no object", async () => {
        const boundary = "----kanadeabort";
        const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; ` +
          `filename="x"\r\nContent-Type: application/octet-stream\r\n\r\n`;
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(new URL(url).port) });
        const te = new TextEncoder();
        await conn.write(te.encode(
          `POST /api/app-packages/aborted/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${b.token}\r\n` +
            `Content-Type: multipart/form-data; boundary=${boundary}\r\n` +
            `Content-Length: ${head.length + 4 * 1024 * 1024}\r\n\r\n${head}`,
        ));
        const part = bytes(1024 * 1024, 3);
        for (let i = 0; i < 2; i++) await conn.write(part);
        // Chunks of the upload are in the store before the client goes away.
        await waitFor(async () => Object.keys(await chunkSubjects(b)).length > 1);
        conn.close();
        await waitFor(async () => Object.keys(await chunkSubjects(b)).length === 1, {
          what: "aborted upload purged",
        });
        const res = await get("aborted/1");
        assert.equal(res.status, 404);
        await res.body?.cancel();
        await assertNoOrphans(b);
      });

      await t.step("replace while downloads run: each is wholly old or wholly new", async () => {
        const v2 = bytes(2 * 1024 * 1024 + 7, 11);
        // Downloads that read slowly: one chunk, then a pause, then the rest.
        const readers = Array.from({ length: 4 }, async (_, i) => {
          const res = await get("office/1.0");
          const tag = res.headers.get("etag");
          const r = res.body!.getReader();
          const parts: Uint8Array[] = [];
          const first = await r.read();
          if (!first.done) parts.push(first.value);
          await new Promise((ok) => setTimeout(ok, 300 + 50 * i));
          for (;;) {
            const { done, value } = await r.read();
            if (done) break;
            parts.push(value);
          }
          const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
          let o = 0;
          for (const p of parts) all.set(p, (o += p.length) - p.length);
          return { tag, all };
        });
        await new Promise((ok) => setTimeout(ok, 100));
        const r = await upload(url, b.token, "office/1.0", form([["file", v2]]));
        assert.equal(r.status, 200);
        const after = await get("office/1.0");
        assert.equal(after.headers.get("etag"), `"${storeDigest(v2)}"`);
        assert.deepEqual(new Uint8Array(await after.arrayBuffer()), v2);
        for (const { tag, all } of await Promise.all(readers)) {
          const want = tag === etag ? v1 : v2;
          assert.equal(all.length, want.length);
          assert.ok(all.every((x, i) => x === want[i]), "no mix of old and new bytes");
        }
        await assertNoOrphans(b);
      });

      await t.step("a range inside interleaved chunks (two uploads at once)", async () => {
        const a = bytes(1024 * 1024 + 3, 21);
        const c = bytes(1024 * 1024 + 5, 22);
        const [ra, rc] = await Promise.all([
          upload(url, b.token, "alpha/1", form([["file", a]])),
          upload(url, b.token, "gamma/1", form([["file", c]])),
        ]);
        assert.equal(ra.status, 200);
        assert.equal(rc.status, 200);
        for (const [path, data] of [["alpha/1", a], ["gamma/1", c]] as const) {
          for (const start of [131072 * 3 + 17, 131072 * 7, data.length - 3]) {
            const res = await get(path, { range: `bytes=${start}-` });
            assert.equal(res.status, 206);
            assert.deepEqual(new Uint8Array(await res.arrayBuffer()), data.subarray(start), path);
          }
        }
      });

      await t.step("the cleanup sweep purges orphaned chunks, never live objects", async () => {
        // What a process killed mid-upload leaves: chunks no meta names.
        for (let i = 0; i < 3; i++) {
          await b.deps.nats.js.publish(chunkSubject(BUCKET, "ORPHANNUID1"), bytes(1000, i + 1));
        }
        assert.equal(await sweepPackageOrphans(b.deps, Date.now(), 3_600_000), 0, "too fresh");
        assert.equal(await sweepPackageOrphans(b.deps, Date.now() + 1000, 0), 1);
        assert.equal((await chunkSubjects(b))[chunkSubject(BUCKET, "ORPHANNUID1")], undefined);
        await assertNoOrphans(b);
        const still = await get("gamma/1");
        assert.equal(still.status, 200);
        assert.equal((await still.arrayBuffer()).byteLength, 1024 * 1024 + 5);
      });

      await t.step("delete: 204, then 404; audited", async () => {
        const res = await fetch(`${url}/api/app-packages/alpha/1`, {
          method: "DELETE",
          headers: auth,
        });
        assert.equal(res.status, 204);
        const again = await fetch(`${url}/api/app-packages/alpha/1`, {
          method: "DELETE",
          headers: auth,
        });
        assert.equal(again.status, 404);
        await again.body?.cancel();
        const gone = await get("alpha/1");
        assert.equal(gone.status, 404);
        await gone.body?.cancel();
        await assertNoOrphans(b);
        const subjects = (await b.deps.nats.jsm.streams.info("AUDIT", { subjects_filter: ">" }))
          .state.subjects ?? {};
        assert.ok(Object.keys(subjects).some((s) => s.includes("app_package_publish")));
        assert.ok(Object.keys(subjects).some((s) => s.includes("app_package_delete")));
      });
    } finally {
      await b.stop();
    }
  },
});

Deno.test({
  name: "app packages: a missing store answers upstream's 503",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const b = await startTestBackend();
    try {
      await b.deps.nats.jsm.streams.delete(objStream(BUCKET));
      const up = await b.request("/api/app-packages/x/1", {
        method: "POST",
        body: form([["file", new Uint8Array([1])]]),
      });
      assert.equal(up.status, 503);
      assert.match((await up.json()).error, /Object Store 'app_packages' missing/);
    } finally {
      await b.stop();
    }
  },
});

Deno.test({
  name: "app packages: the streamed body cap answers 413 without buffering, for both framings",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const b = await startTestBackend();
    try {
      const cap = 64 * 1024;
      const app = buildApp(b.deps, [{ ...uploadRoute, bodyLimit: cap }]);
      const headers = { authorization: `Bearer ${b.token}` };
      // Content-Length above the cap: refused before a byte is read.
      const big = form([["file", bytes(cap * 2, 5)]]);
      const declared = await app.request("/api/app-packages/capped/1", {
        method: "POST",
        headers,
        body: big,
      });
      assert.equal(declared.status, 413);
      assert.equal((await declared.json()).status, 413);
      // Chunked (no Content-Length): counted while it streams.
      const boundary = "----cap";
      const te = new TextEncoder();
      const chunked = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(te.encode(
            `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\n`,
          ));
          for (let i = 0; i < 8; i++) c.enqueue(bytes(cap / 4, i + 1));
          c.enqueue(te.encode(`\r\n--${boundary}--\r\n`));
          c.close();
        },
      });
      const streamed = await app.request("/api/app-packages/capped/1", {
        method: "POST",
        headers: { ...headers, "content-type": `multipart/form-data; boundary=${boundary}` },
        body: chunked,
        // @ts-ignore Deno needs half-duplex for a streamed request body
        duplex: "half",
      });
      assert.equal(streamed.status, 413);
      assert.match((await streamed.json()).error, /exceeds 65536 bytes/);
      const missing = await b.request("/api/app-packages/capped/1");
      assert.equal(missing.status, 404);
      await missing.body?.cancel();
      await assertNoOrphans(b);
    } finally {
      await b.stop();
    }
  },
});

Deno.test({
  name: "app packages: a download whose pull the broker lost pulls again and completes",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const b = await startTestBackend();
    try {
      const pkg = bytes(1024 * 1024 + 77, 11); // 9 chunks: more than one pull's worth (8)
      const up = await b.request("/api/app-packages/lost-pull/1", {
        method: "POST",
        body: form([["file", pkg]]),
      });
      assert.equal(up.status, 200, await up.text());
      const info = await packageInfo(b.deps, "lost-pull", "1");
      for (
        const [what, range] of [
          ["whole", { start: 0, end: pkg.length - 1 }],
          ["a range from the 3rd chunk", { start: 300_000, end: 1_000_000 }],
        ] as const
      ) {
        // A connection of its own per download: no other reader's pull can be the lost one.
        const proxy = startPullSwallowingProxy(b.broker.port);
        const proxied = await connectNats({ natsServers: [proxy.url] }, "proxied-download");
        try {
          proxy.swallow(1); // the download's first pull never reaches the broker
          const t0 = Date.now();
          // Without the check the read sits out the whole 20 s and fails as a stall.
          const body = await openChunkStream(proxied, BUCKET, info, range, {
            stallMs: 20_000,
            checkMs: 500,
          });
          const got = new Uint8Array(await new Response(body).arrayBuffer());
          assert.equal(proxy.swallowed, 1, `${what}: its first pull was lost`);
          assert.deepEqual(got, pkg.subarray(range.start, range.end + 1), `${what}: the bytes`);
          assert.ok(Date.now() - t0 < 10_000, `${what}: pulled again well before the stall`);
        } finally {
          await proxied.close();
          proxy.close();
        }
      }
    } finally {
      await b.stop();
    }
  },
});
