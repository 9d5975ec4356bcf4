/**
 * App packages at size: the real entrypoint (`main.ts`, all components) in a child process,
 * one 2 GiB package (`--quick`: 256 MiB) uploaded as a chunked multipart body generated on
 * the fly (never held in memory here), then downloaded in full. The backend's VmRSS is
 * sampled every 200 ms through each transfer: memory must stay bounded whatever the size.
 * Everything written (the object, the broker's store) is removed afterwards.
 */
import { createHash } from "node:crypto";
import type { BenchSuite } from "./types.ts";
import { median } from "./types.ts";
import { startNatsServer } from "../tests/helpers/nats_server.ts";
import { rssBytes, spawnBackend } from "../tests/e2e/backend_process.ts";

const MiB = 2 ** 20;
const BLOCK = MiB;
/** Peak RSS above the idle backend that still counts as bounded. */
const GROWTH_TARGET_MIB = 256;

/** `size` pseudo-random bytes as 1 MiB blocks (each block differs), hashed as they go. */
function generated(size: number, hash: ReturnType<typeof createHash>) {
  const base = new Uint8Array(BLOCK);
  for (let o = 0; o < BLOCK; o += 65536) crypto.getRandomValues(base.subarray(o, o + 65536));
  let sent = 0;
  let n = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent >= size) return c.close();
      const len = Math.min(BLOCK, size - sent);
      const b = base.slice(0, len);
      new DataView(b.buffer).setUint32(0, n++); // every block distinct
      hash.update(b);
      sent += len;
      c.enqueue(b);
    },
  });
}

/**
 * POSTs the multipart body over a plain socket with its Content-Length, written as the
 * generator yields (what the kanade CLI does); Deno's fetch would send a stream chunked.
 */
async function postStreamed(
  base: string,
  path: string,
  boundary: string,
  size: number,
  hash: ReturnType<typeof createHash>,
): Promise<{ status: number; body: string }> {
  const te = new TextEncoder();
  const head = te.encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.bin"\r\n` +
      "Content-Type: application/octet-stream\r\n\r\n",
  );
  const tail = te.encode(`\r\n--${boundary}--\r\n`);
  const u = new URL(base);
  const conn = await Deno.connect({ hostname: u.hostname, port: Number(u.port) });
  try {
    const writeAll = async (b: Uint8Array) => {
      for (let o = 0; o < b.length;) o += await conn.write(b.subarray(o));
    };
    await writeAll(te.encode(
      `POST ${path} HTTP/1.1\r\nHost: ${u.host}\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\n` +
        `Content-Length: ${head.length + size + tail.length}\r\nConnection: close\r\n\r\n`,
    ));
    await writeAll(head);
    for await (const block of generated(size, hash)) await writeAll(block);
    await writeAll(tail);
    const text = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
    return { status, body: text.slice(text.indexOf("\r\n\r\n") + 4) };
  } finally {
    try {
      conn.close();
    } catch { /* closed by the response */ }
  }
}

/** Samples the process's RSS every 200 ms until stopped; returns the samples in MiB. */
function sampler(pid: number) {
  const xs: number[] = [];
  const t = setInterval(() => {
    try {
      xs.push(rssBytes(pid) / MiB);
    } catch { /* process gone */ }
  }, 200);
  return () => {
    clearInterval(t);
    return xs;
  };
}

export const suite: BenchSuite = {
  name: "packages",
  async run(ctx) {
    const size = ctx.quick ? 256 * MiB : 2048 * MiB;
    const label = `${size / MiB >= 1024 ? `${size / 1024 / MiB} GiB` : `${size / MiB} MiB`}`;
    const broker = await startNatsServer();
    let backend: Awaited<ReturnType<typeof spawnBackend>> | null = null;
    try {
      backend = await spawnBackend(broker.url);
      const url = backend.url;
      await new Promise((r) => setTimeout(r, 3_000)); // let start-up settle
      const idle = rssBytes(backend.pid) / MiB;

      const hash = createHash("sha256");
      const boundary = "----kanadebench";
      const stopUp = sampler(backend.pid);
      const t0 = performance.now();
      const up = await postStreamed(url, "/api/app-packages/bench/1.0", boundary, size, hash);
      const upSecs = (performance.now() - t0) / 1000;
      const upRss = stopUp();
      if (up.status !== 200) throw new Error(`upload -> ${up.status}: ${up.body}`);
      const upText = up.body;
      const info = JSON.parse(upText) as { size: number; digest: string };
      const want = `SHA-256=${hash.digest("base64url")}=`;
      if (info.size !== size || info.digest !== want) {
        throw new Error(`upload stored ${info.size} bytes, digest ${info.digest}; sent ${want}`);
      }

      const stopDown = sampler(backend.pid);
      const t1 = performance.now();
      const down = await fetch(`${url}/api/app-packages/bench/1.0`);
      const dh = createHash("sha256");
      let got = 0;
      for await (const chunk of down.body!) {
        got += chunk.byteLength;
        dh.update(chunk);
      }
      const downSecs = (performance.now() - t1) / 1000;
      const downRss = stopDown();
      if (got !== size || `SHA-256=${dh.digest("base64url")}=` !== want) {
        throw new Error(`download returned ${got} bytes or another digest`);
      }
      const del = await fetch(`${url}/api/app-packages/bench/1.0`, { method: "DELETE" });
      await del.body?.cancel();

      ctx.log(`RSS while downloading (MiB): ${downRss.map((x) => x.toFixed(0)).join(" ")}`);
      const peakUp = Math.max(...upRss);
      const peakDown = Math.max(...downRss);
      ctx.log(
        `${label}: upload ${(size / MiB / upSecs).toFixed(0)} MiB/s, download ${
          (size / MiB / downSecs).toFixed(0)
        } MiB/s; RSS idle ${idle.toFixed(0)}, peak up ${peakUp.toFixed(0)}, peak down ${
          peakDown.toFixed(0)
        } MiB`,
      );
      const target = `≤ idle + ${GROWTH_TARGET_MIB} MiB`;
      return [
        {
          name: `upload ${label} (multipart, streamed into app_packages)`,
          median: size / MiB / upSecs,
          unit: "MiB/s",
          samples: [size / MiB / upSecs],
          note: `${
            upSecs.toFixed(1)
          } s; digest checked; backend, broker and client on the same cores`,
        },
        {
          name: `download ${label} (streamed)`,
          median: size / MiB / downSecs,
          unit: "MiB/s",
          samples: [size / MiB / downSecs],
          note: `${downSecs.toFixed(1)} s; every byte hashed and checked by the client`,
        },
        {
          name: `backend peak RSS while uploading ${label}`,
          median: peakUp,
          unit: "MiB",
          samples: [peakUp],
          target,
          ok: peakUp <= idle + GROWTH_TARGET_MIB,
          note: `idle ${idle.toFixed(0)} MiB; median during upload ${
            median(upRss).toFixed(0)
          } MiB; ${upRss.length} samples at 200 ms`,
        },
        {
          name: `backend peak RSS while downloading ${label}`,
          median: peakDown,
          unit: "MiB",
          samples: [peakDown],
          target,
          ok: peakDown <= idle + GROWTH_TARGET_MIB,
          note: `median during download ${
            median(downRss).toFixed(0)
          } MiB; ${downRss.length} samples`,
        },
      ];
    } finally {
      await backend?.stop();
      await broker.stop();
    }
  },
};
