import assert from "node:assert/strict";
import {
  cpuPct,
  parseSchedstatWaitSecs,
  parseStatComm,
  parseStatCpuSecs,
  parseStatusRss,
  procWaitSecs,
  sampleProc,
  threadCpuSecs,
  threadRole,
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

Deno.test("self report: thread names and roles", () => {
  assert.equal(parseStatComm("4242 (deno (worker) x) S 1 4242"), "deno (worker) x");
  assert.equal(parseStatComm("77 (V8 DefaultWorke) S 1"), "V8 DefaultWorke");
  assert.equal(threadRole(10, 10, "deno"), "main");
  assert.equal(threadRole(11, 10, "worker-2"), "workers");
  assert.equal(threadRole(12, 10, "V8 DefaultWorke"), "v8");
  assert.equal(threadRole(13, 10, "tokio-runtime-w"), "other");
  // A thread named like the process is not its main thread unless its id is the process's.
  assert.equal(threadRole(14, 10, "deno"), "other");
});

Deno.test({
  name: "self report: a busy web worker's CPU is counted as a worker thread's",
  ignore: Deno.build.os !== "linux",
  async fn() {
    // A process of its own: this one's threads come and go with the other tests.
    const src = `const w = new Worker(URL.createObjectURL(new Blob([
        "const end = Date.now() + 3000; while (Date.now() < end);"
      ], { type: "text/javascript" })), { type: "module" });
      console.log("started");
      setTimeout(() => w.terminate(), 3000);`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", src],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    await reader.read(); // "started"
    await new Promise((r) => setTimeout(r, 1500));
    const t = threadCpuSecs(child.pid);
    child.kill();
    await child.status;
    reader.releaseLock();
    await child.stdout.cancel();
    assert.ok(t && t.workers >= 0.3 && t.workers > t.main + t.v8 + t.other, JSON.stringify(t));
  },
});
