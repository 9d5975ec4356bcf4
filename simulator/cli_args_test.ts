import assert from "node:assert/strict";
import { parseArgs, pcIdOf, processCount, slices, usage } from "./cli_args.ts";
import { BEHAVIOURS } from "./behaviours.ts";

Deno.test("fleet cli: arguments", () => {
  const o = parseArgs(
    ["--agents", "1000", "--groups", "a, b", "--fail-rate=0.1", "--latency", "20", "--prefix", "X"],
    { KANADE_NATS_URL: "nats://h:1" },
  );
  assert.equal(o.agents, 1000);
  assert.deepEqual(o.groups, ["a", "b"]);
  assert.equal(o.failRate, 0.1);
  assert.equal(o.latencyMs, 20);
  assert.equal(o.natsUrl, "nats://h:1");
  assert.equal(o.prefix, "X");
  assert.equal(o.output, "realistic");
  assert.equal(o.perf, true);
  assert.equal(parseArgs([], {}).natsUrl, "nats://127.0.0.1:4222");
  assert.equal(parseArgs([], {}).maxInflight, 1000);
  assert.equal(parseArgs(["--max-inflight", "0"], {}).maxInflight, 0);
  assert.throws(() => parseArgs(["--max-inflight", "-1"], {}), /--max-inflight needs a number/);
  const p = parseArgs(
    [
      "--heartbeat-secs",
      "30",
      "--boot-secs=20",
      "--no-perf",
      "--output",
      "short",
      "--setup",
      "--report-secs",
      "0.5",
      "--churn",
      "0.05",
      "--processes",
      "3",
    ],
    {},
  );
  assert.equal(p.heartbeatMs, 30_000);
  assert.equal(p.bootMs, 20_000);
  assert.equal(p.perf, false);
  assert.equal(p.output, "short");
  assert.equal(p.setup, true);
  assert.equal(p.reportMs, 500);
  assert.equal(p.churn, 0.05);
  assert.equal(p.processes, 3);
  assert.equal(parseArgs(["--help"], {}).help, true);
  for (
    const bad of [
      ["--agents"],
      ["--agents", "0"],
      ["--fail-rate", "2"],
      ["--bogus"],
      ["--latency", "x"],
      ["--output", "long"],
      ["--processes", "0"],
      ["--slice", "5:2"],
      ["--agents", "10", "--slice", "0:11"],
    ]
  ) {
    assert.throws(() => parseArgs(bad, {}), Error, bad.join(" "));
  }
});

Deno.test("fleet cli: processes, slices and ids", () => {
  assert.equal(processCount(parseArgs(["--agents", "100000"], {})), 4);
  assert.equal(processCount(parseArgs(["--agents", "10"], {})), 1);
  assert.equal(processCount(parseArgs(["--agents", "3", "--processes", "8"], {})), 3);
  assert.equal(processCount(parseArgs(["--agents", "10", "--slice", "0:5"], {})), 1);
  const s = slices(100_000, 3);
  assert.deepEqual(s, [[0, 33333], [33333, 66666], [66666, 100000]]);
  assert.equal(s.reduce((n, [a, b]) => n + b - a, 0), 100_000);
  assert.equal(pcIdOf("PC-", 0, 10), "PC-0001");
  assert.equal(pcIdOf("PC-", 99_999, 100_000), "PC-100000");
  assert.equal(pcIdOf("PC-", 0, 100_000), "PC-000001");
});

Deno.test("fleet cli: --help lists every option and the behaviours' flags", () => {
  for (const flag of ["--agents", "--processes", "--churn", "--setup", "--output", "--help"]) {
    assert.match(usage(), new RegExp(flag));
  }
  BEHAVIOURS.push({
    name: "demo",
    flags: [{ flag: "--demo-mix", value: "ok:warn", help: "answer mix" }],
  });
  try {
    assert.match(usage(), /--demo-mix ok:warn\s+answer mix \(demo\)/);
    assert.equal(parseArgs(["--demo-mix", "3:1"], {}).extra.get("--demo-mix"), "3:1");
  } finally {
    BEHAVIOURS.pop();
  }
});
