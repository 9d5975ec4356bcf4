import assert from "node:assert/strict";
import { encodeHostPerf, encodeProcessPerf, HostPerfSchema, ProcessPerfSchema } from "./perf.ts";

Deno.test("HostPerf decodes and re-encodes byte-identically", async (t) => {
  for (
    const [name, doc] of [
      ["ids only", `{"pc_id":"PC1","at":"2026-06-20T00:00:30Z"}`],
      [
        "all metrics",
        `{"pc_id":"PC1","at":"2026-06-20T00:00:30.500Z","cpu_pct":12.5,"cpu_count":8,"mem_used_bytes":4000000000,"mem_total_bytes":16000000000,"swap_used_bytes":0,"swap_total_bytes":2000000000,"disk_read_bytes_per_sec":1024.5,"disk_written_bytes_per_sec":2048.25,"net_rx_bytes_per_sec":10.1,"net_tx_bytes_per_sec":20.2}`,
      ],
      [
        "some metrics",
        `{"pc_id":"PC2","at":"2026-06-20T00:00:30.123456Z","cpu_pct":3.3,"mem_used_bytes":1}`,
      ],
    ]
  ) {
    await t.step(name, () => {
      const v = HostPerfSchema.parse(JSON.parse(doc));
      assert.equal(JSON.stringify(encodeHostPerf(v)), doc);
    });
  }
});

Deno.test("ProcessPerf decodes and re-encodes byte-identically", async (t) => {
  for (
    const [name, doc] of [
      ["empty list", `{"pc_id":"PC1","at":"2026-06-20T00:00:30Z","processes":[]}`],
      [
        "two snapshots",
        `{"pc_id":"PC1","at":"2026-06-20T00:00:30Z","processes":[{"pid":4,"name":"System","cpu_pct":50.5,"rss_bytes":1000,"disk_read_bytes_per_sec":1.5,"disk_written_bytes_per_sec":2.5},{"pid":1234,"name":"chrome.exe","cpu_pct":0.1,"rss_bytes":2000}]}`,
      ],
    ]
  ) {
    await t.step(name, () => {
      const v = ProcessPerfSchema.parse(JSON.parse(doc));
      assert.equal(JSON.stringify(encodeProcessPerf(v)), doc);
    });
  }
});

Deno.test("perf schemas reject malformed samples", async (t) => {
  for (
    const [name, schema, bad] of [
      ["host bad at", HostPerfSchema, { pc_id: "P", at: "x" }],
      ["host cpu string", HostPerfSchema, { pc_id: "P", at: "2026-01-01T00:00:00Z", cpu_pct: "1" }],
      ["proc negative pid", ProcessPerfSchema, {
        pc_id: "P",
        at: "2026-01-01T00:00:00Z",
        processes: [{ pid: -1, name: "a", cpu_pct: 1, rss_bytes: 1 }],
      }],
      ["proc missing name", ProcessPerfSchema, {
        pc_id: "P",
        at: "2026-01-01T00:00:00Z",
        processes: [{ pid: 1, cpu_pct: 1, rss_bytes: 1 }],
      }],
    ] as const
  ) {
    await t.step(name, () => assert.equal(schema.safeParse(bad).success, false));
  }
});
