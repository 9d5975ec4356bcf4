import assert from "node:assert/strict";
import {
  cpuPct,
  parseSchedstatWaitSecs,
  parseStatCpuSecs,
  parseStatusRss,
  procWaitSecs,
  sampleProc,
  UsageMeter,
} from "./self_report.ts";

Deno.test("self report: /proc parsing survives odd process names", () => {
  const stat = "4242 (deno (worker) x) S 1 4242 4242 0 -1 4194304 1 0 0 0 250 50 0 0 20 0 9 0";
  assert.equal(parseStatCpuSecs(stat), 3);
  assert.equal(parseStatusRss("Name:\tdeno\nVmRSS:\t  2048 kB\nThreads: 9\n"), 2 * 1024 * 1024);
  assert.equal(parseStatusRss("Name:\tdeno\n"), 0);
  assert.equal(
    cpuPct({ cpuSecs: 1, rssBytes: 0, atMs: 0 }, { cpuSecs: 1.5, rssBytes: 0, atMs: 1000 }),
    50,
  );
});

Deno.test({
  name: "self report: this process's CPU and RSS are measured",
  ignore: Deno.build.os !== "linux",
  fn() {
    const s = sampleProc();
    assert.ok(s && s.rssBytes > 10 * 2 ** 20 && s.cpuSecs > 0);
    const m = new UsageMeter();
    m.read(["self"]);
    // Burn until the kernel has charged this process 100 ms of CPU (wall time is no
    // measure on a busy machine), at most 20 s.
    let x = 0;
    const until = performance.now() + 20_000;
    while (sampleProc()!.cpuSecs - s.cpuSecs < 0.1 && performance.now() < until) {
      for (let i = 0; i < 100_000; i++) x += Math.sqrt(x + i);
    }
    const u = m.read(["self"]);
    assert.ok(u.cpu_pct !== null && u.cpu_pct > 0, `cpu ${u.cpu_pct}`);
    assert.ok(u.rss_mib !== null && u.rss_mib > 10);
    assert.deepEqual(new UsageMeter().read([999_999_999]), { cpu_pct: null, rss_mib: null });
  },
});

Deno.test("self report: run-queue wait from schedstat", () => {
  assert.equal(parseSchedstatWaitSecs("4200000000 1500000000 812\n"), 1.5);
  assert.equal(parseSchedstatWaitSecs("garbage"), null);
  assert.equal(parseSchedstatWaitSecs(""), null);
});

Deno.test({
  name: "self report: a thread kept off the CPU by busier ones is seen waiting",
  ignore: Deno.build.os !== "linux" || procWaitSecs() === null,
  async fn() {
    // More busy threads than cores: this process's threads must then wait for a CPU.
    const before = procWaitSecs()!;
    const n = navigator.hardwareConcurrency + 2;
    const src = `self.onmessage = () => { const end = Date.now() + 600; let x = 0;
      while (Date.now() < end) x += Math.sqrt(x + 1); self.postMessage(x); };`;
    const url = URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
    const workers = Array.from({ length: n }, () => new Worker(url, { type: "module" }));
    try {
      await Promise.all(workers.map((w) =>
        new Promise((r) => {
          w.onmessage = r;
          w.postMessage(null);
        })
      ));
      const waited = procWaitSecs()! - before;
      assert.ok(waited > 0.2, `waited ${waited} s with ${n} busy threads`);
    } finally {
      for (const w of workers) w.terminate();
      URL.revokeObjectURL(url);
    }
  },
});
