import assert from "node:assert/strict";
import { ValidationError } from "../errors.ts";
import {
  bucketStart,
  hostMetric,
  parseAgg,
  parseLimit,
  parseSpan,
  parseWindow,
  processMetric,
} from "./perf_params.ts";

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const is400 = (e: unknown) => e instanceof ValidationError;

Deno.test("parseWindow() defaults and explicit ranges", async (t) => {
  await t.step("default last hour, 5m step", () => {
    assert.deepEqual(parseWindow({}, { spanSecs: 3600, stepSecs: 300 }, NOW), {
      fromMs: NOW - 3_600_000,
      toMs: NOW,
      stepSecs: 300,
    });
  });
  await t.step("explicit from/to (offsets honoured) and step", () => {
    const w = parseWindow(
      { from: "2026-11-22T10:00:00Z", to: "2026-11-22T13:00:00+01:00", step: "1m" },
      { spanSecs: 3600, stepSecs: 300 },
      NOW,
    );
    assert.deepEqual(w, {
      fromMs: Date.UTC(2026, 10, 22, 10),
      toMs: Date.UTC(2026, 10, 22, 12),
      stepSecs: 60,
    });
  });
  await t.step("only from: to is now", () => {
    const w = parseWindow({ from: "2026-11-22T11:30:00Z" }, { spanSecs: 3600, stepSecs: 300 }, NOW);
    assert.equal(w.toMs, NOW);
    assert.equal(w.fromMs, NOW - 1_800_000);
  });
  await t.step("exactly 10 000 buckets is allowed", () => {
    const w = parseWindow(
      { step: "1s", from: "2026-11-22T09:00:00Z", to: "2026-11-22T11:46:40Z" },
      {
        spanSecs: 3600,
        stepSecs: 60,
      },
      NOW,
    );
    assert.equal((w.toMs - w.fromMs) / 1000 / w.stepSecs, 10_000);
  });
});

Deno.test("parseWindow() 400 cases", async (t) => {
  const d = { spanSecs: 3600, stepSecs: 300 };
  const cases: [string, Record<string, string>][] = [
    ["unparsable step", { step: "soon" }],
    ["zero step", { step: "0s" }],
    ["sub-second step", { step: "500ms" }],
    ["from after to", { from: "2026-11-22T11:00:00Z", to: "2026-11-22T10:00:00Z" }],
    ["from equals to", { from: "2026-11-22T10:00:00Z", to: "2026-11-22T10:00:00Z" }],
    ["bad from", { from: "yesterday" }],
    ["bad to", { to: "2026-13-01T00:00:00Z" }],
    ["too many buckets", { step: "1s", from: "2026-11-22T00:00:00Z", to: "2026-11-22T12:00:00Z" }],
  ];
  for (const [name, q] of cases) {
    await t.step(name, () => assert.throws(() => parseWindow(q, d, NOW), is400));
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
    ["cpu", "cpu_pct"],
    ["MEM", "mem_used_bytes"],
    ["memory", "mem_used_bytes"],
    ["disk_read", "disk_read_bytes_per_sec"],
    ["disk_written_bytes_per_sec", "disk_written_bytes_per_sec"],
    ["net_rx_bytes", "net_rx_bytes_per_sec"],
    ["net_tx", "net_tx_bytes_per_sec"],
  ];
  for (const [raw, col] of host) {
    await t.step(`host ${raw}`, () => assert.equal(hostMetric(raw).column, col));
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
    await t.step(`process ${raw}`, () => assert.equal(processMetric(raw).column, col));
  }
  await t.step("unknown metrics", () => {
    assert.throws(() => hostMetric("rss"), is400);
    assert.throws(() => hostMetric("cpu_pct; DROP TABLE agents"), is400);
    assert.throws(() => processMetric("net_rx"), is400);
  });
});

Deno.test("parseAgg(), parseLimit(), parseSpan()", () => {
  assert.equal(parseAgg(undefined), "avg");
  assert.equal(parseAgg("mean"), "avg");
  assert.equal(parseAgg("MAX"), "max");
  assert.throws(() => parseAgg("sum"), is400);
  assert.equal(parseLimit(undefined, "top", 5, 1, 20), 5);
  assert.equal(parseLimit("0", "top", 5, 1, 20), 1);
  assert.equal(parseLimit("99", "top", 5, 1, 20), 20);
  assert.throws(() => parseLimit("ten", "top", 5, 1, 20), is400);
  assert.equal(parseSpan(undefined, "window", 300), 300);
  assert.equal(parseSpan("15m", "window", 300), 900);
  assert.throws(() => parseSpan("-5m", "window", 300), is400);
});

Deno.test("metric names never resolve to inherited object properties", () => {
  for (const raw of ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"]) {
    assert.throws(() => hostMetric(raw), /invalid metric/, raw);
    assert.throws(() => processMetric(raw), /invalid metric/, raw);
  }
});
