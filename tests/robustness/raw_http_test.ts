/**
 * Malformed HTTP over a real socket (what `app.request` cannot send): broken
 * percent-encoding, huge URLs and headers, odd methods, truncated bodies. The server
 * answers each with a 4xx (JSON on API paths) or drops the connection — and keeps serving.
 */
import assert from "node:assert/strict";
import { startTestBackend } from "../helpers/backend.ts";
import { recordFigures } from "./report_sink.ts";

async function raw(port: number, request: string, timeoutMs = 5_000): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    await conn.write(new TextEncoder().encode(request)).catch(() => {});
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(64 * 1024);
    while (true) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
      const text = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
      const m = /content-length: (\d+)/i.exec(text);
      const head = text.indexOf("\r\n\r\n");
      if (head >= 0 && m && text.length - head - 4 >= Number(m[1])) return text;
    }
    return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed by the timer or the peer */ }
  }
}

Deno.test({
  name: "raw HTTP: malformed requests get 4xx (JSON on /api) and the server keeps serving",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const be = await startTestBackend();
    const { port } = await be.listen();
    const auth = `authorization: Bearer ${be.token}\r\n`;
    const cases: [string, string, RegExp][] = [
      [
        "bad percent in path",
        `GET /api/agents/%E0%A4%A/groups HTTP/1.1\r\nhost: x\r\n${auth}\r\n`,
        /^HTTP\/1\.1 4\d\d/,
      ],
      ["lone percent", `GET /api/% HTTP/1.1\r\nhost: x\r\n${auth}\r\n`, /^HTTP\/1\.1 4\d\d/],
      [
        "bad percent in query",
        `GET /api/groups?q=%ZZ&limit=%E0 HTTP/1.1\r\nhost: x\r\n${auth}\r\n`,
        /^HTTP\/1\.1 [24]\d\d/,
      ],
      [
        "unknown method",
        `BREW /api/groups HTTP/1.1\r\nhost: x\r\n${auth}\r\n`,
        /^HTTP\/1\.1 4\d\d/,
      ],
      [
        "huge URL",
        `GET /api/agents/${"a".repeat(100_000)} HTTP/1.1\r\nhost: x\r\n${auth}\r\n`,
        /^(HTTP\/1\.1 4\d\d|$)/,
      ],
      [
        "huge header",
        `GET /api/groups HTTP/1.1\r\nhost: x\r\nx-big: ${"b".repeat(200_000)}\r\n${auth}\r\n`,
        /^(HTTP\/1\.1 4\d\d|)/,
      ],
      [
        "truncated JSON body",
        `PUT /api/config HTTP/1.1\r\nhost: x\r\n${auth}content-type: application/json\r\ncontent-length: 100\r\n\r\n{"a":`,
        /^(HTTP\/1\.1 4\d\d|)/,
      ],
      [
        "lying content-length",
        `PUT /api/config HTTP/1.1\r\nhost: x\r\n${auth}content-type: application/json\r\ncontent-length: 99999999\r\n\r\n{}`,
        /^(HTTP\/1\.1 4\d\d|)/,
      ],
      ["no token", `GET /api/groups HTTP/1.1\r\nhost: x\r\n\r\n`, /^HTTP\/1\.1 401/],
      [
        "absolute-form target",
        `GET http://evil.example/api/groups HTTP/1.1\r\nhost: x\r\n${auth}\r\n`,
        /^HTTP\/1\.1 [24]\d\d/,
      ],
    ];
    try {
      const bad: string[] = [];
      for (const [name, req, want] of cases) {
        const res = await raw(port, req, 3_000);
        const statusLine = res.split("\r\n")[0] ?? "";
        if (!want.test(statusLine)) bad.push(`${name}: got '${statusLine.slice(0, 80)}'`);
        if (/^HTTP\/1\.1 [45]/.test(statusLine) && /\r\n\r\n/.test(res)) {
          const isApiJson = /content-type: application\/json/i.test(res);
          const body = res.slice(res.indexOf("\r\n\r\n") + 4);
          if (isApiJson) {
            try {
              const j = JSON.parse(body);
              if (typeof j.error !== "string") bad.push(`${name}: JSON error without 'error'`);
            } catch {
              bad.push(`${name}: JSON content-type with a non-JSON body`);
            }
          }
          if (/\bat .*\.ts:\d+|SQLITE_/.test(body)) bad.push(`${name}: internals in body`);
        }
        if (/^HTTP\/1\.1 5/.test(statusLine)) bad.push(`${name}: 5xx '${statusLine}'`);
      }
      // Still serving.
      const ok = await fetch(`http://127.0.0.1:${port}/health`);
      assert.equal(ok.status, 200);
      await ok.body?.cancel();
      assert.deepEqual(bad, []);
      await recordFigures({
        suite: "raw_http",
        requests: cases.length,
        faultsInjected: cases.length,
        notes: "malformed request lines, encodings, sizes and bodies over a real socket",
      });
    } finally {
      await be.stop();
    }
  },
});
