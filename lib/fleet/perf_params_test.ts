import assert from "node:assert/strict";
import { z } from "zod";
import {
  aggParam,
  bucketStart,
  hostMetricParam,
  processMetricParam,
  spanParam,
  windowQuery,
} from "./perf_params.ts";

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const D = { spanSecs: 3600, stepSecs: 300 };
const window = (q: Record<string, string>, d = D) => windowQuery(d, {}, () => NOW).parse(q).window;
/** The edge answers 400 exactly when the schema refuses the value. */
const refuses = (s: z.ZodType, v: unknown) => !s.safeParse(v).success;

Deno.test("windowQuery() defaults and explicit ranges", async (t) => {
  await t.step("default last hour, 5m step", () => {
    assert.deepEqual(window({}), { fromMs: NOW - 3_600_000, toMs: NOW, stepSecs: 300 });
  });
  await t.step("explicit from/to (offsets honoured) and step", () => {
    const w = window({
      from: "2026-11-22T10:00:00Z",
      to: "2026-11-22T13:00:00+01:00",
      step: "1m",
    });
    assert.deepEqual(w, {
      fromMs: Date.UTC(2026, 10, 22, 10),
      toMs: Date.UTC(2026, 10, 22, 12),
      stepSecs: 60,
    });
  });
  await t.step("only from: to is now", () => {
    const w = window({ from: "2026-11-22T11:30:00Z" });
    assert.equal(w.toMs, NOW);
    assert.equal(w.fromMs, NOW - 1_800_000);
  });
  await t.step("exactly 10 000 buckets is allowed", () => {
    const w = window({ step: "1s", from: "2026-11-22T09:00:00Z", to: "2026-11-22T11:46:40Z" }, {
      spanSecs: 3600,
      stepSecs: 60,
    });
    assert.equal((w.toMs - w.fromMs) / 1000 / w.stepSecs, 10_000);
  });
  await t.step("extra parameters ride along", () => {
    const q = windowQuery(D, { metric: hostMetricParam }, () => NOW).parse({ metric: "mem" });
    assert.deepEqual(q.metric, { name: "mem_used_bytes", column: "mem_used_bytes" });
  });
});

Deno.test("windowQuery() 400 cases", async (t) => {
  const cases: [string, Record<string, string>, string][] = [
    ["unparsable step", { step: "soon" }, "step"],
    ["zero step", { step: "0s" }, "step"],
    ["sub-second step", { step: "500ms" }, "step"],
    ["from after to", { from: "2026-11-22T11:00:00Z", to: "2026-11-22T10:00:00Z" }, "from"],
    ["from equals to", { from: "2026-11-22T10:00:00Z", to: "2026-11-22T10:00:00Z" }, "from"],
    ["bad from", { from: "yesterday" }, "from"],
    ["bad to", { to: "2026-13-01T00:00:00Z" }, "to"],
    [
      "too many buckets",
      { step: "1s", from: "2026-11-22T00:00:00Z", to: "2026-11-22T12:00:00Z" },
      "step",
    ],
  ];
  for (const [name, q, param] of cases) {
    await t.step(name, () => {
      const r = windowQuery(D, {}, () => NOW).safeParse(q);
      assert.ok(!r.success);
      assert.deepEqual(r.error.issues.map((i) => i.path), [[param]]);
    });
  }
});

Deno.test("bucketStart() floors to the step", () => {
  assert.equal(bucketStart(1000, 300), 900);
  assert.equal(bucketStart(1200, 300), 1200);
  assert.equal(bucketStart(59, 60), 0);
});

Deno.test("metric aliases", async (t) => {
  const host: [string | undefined, string][] = [
    [undefined, "cpu_pct"],
    ["", "cpu_pct"],
    ["cpu", "cpu_pct"],
    ["MEM", "mem_used_bytes"],
    ["memory", "mem_used_bytes"],
    ["disk_read", "disk_read_bytes_per_sec"],
    ["disk_written_bytes_per_sec", "disk_written_bytes_per_sec"],
    ["net_rx_bytes", "net_rx_bytes_per_sec"],
    ["net_tx", "net_tx_bytes_per_sec"],
  ];
  for (const [raw, col] of host) {
    await t.step(`host ${raw}`, () => assert.equal(hostMetricParam.parse(raw).column, col));
  }
  const proc: [string | undefined, string][] = [
    [undefined, "cpu_pct"],
    ["cpu", "cpu_pct"],
    ["rss", "rss_bytes"],
    ["mem", "rss_bytes"],
    ["disk_read", "disk_read_bytes_per_sec"],
    ["disk_written", "disk_written_bytes_per_sec"],
  ];
  for (const [raw, col] of proc) {
    await t.step(`process ${raw}`, () => assert.equal(processMetricParam.parse(raw).column, col));
  }
  await t.step("unknown metrics", () => {
    assert.ok(refuses(hostMetricParam, "rss"));
    assert.ok(refuses(hostMetricParam, "cpu_pct; DROP TABLE agents"));
    assert.ok(refuses(processMetricParam, "net_rx"));
    assert.match(
      hostMetricParam.safeParse("rss").error!.issues[0].message,
      /^must be one of cpu_pct, mem_used_bytes, disk_read_bytes_per_sec/,
    );
  });
});

Deno.test("aggParam, spanParam", () => {
  assert.equal(aggParam.parse(undefined), "avg");
  assert.equal(aggParam.parse("mean"), "avg");
  assert.equal(aggParam.parse("MAX"), "max");
  assert.ok(refuses(aggParam, "sum"));
  assert.equal(spanParam(300).parse(undefined), 300);
  assert.equal(spanParam(300).parse("15m"), 900);
  assert.ok(refuses(spanParam(300), "-5m"));
});

Deno.test("metric names never resolve to inherited object properties", () => {
  for (const raw of ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"]) {
    assert.ok(refuses(hostMetricParam, raw), raw);
    assert.ok(refuses(processMetricParam, raw), raw);
  }
});
