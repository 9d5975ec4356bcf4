import assert from "node:assert/strict";
import {
  deadlineSkip,
  revokeSkip,
  runGates,
  stalenessSkip,
  utcHuman,
  versionPinSkip,
} from "./gates.ts";
import { type Command, CommandSchema } from "../wire/messages.ts";

const cmd = (over: Record<string, unknown> = {}): Command =>
  CommandSchema.parse({
    id: "job",
    version: "1.0.0",
    request_id: "r1",
    shell: "powershell",
    script: "echo",
    timeout_secs: 10,
    ...over,
  });

const T = Date.parse("2026-06-20T01:00:00Z");

Deno.test("gates: staleness gate (127) only for strict and only beyond max_cache_age", () => {
  const strict = cmd({ staleness: { mode: "strict", max_cache_age: "5m" } });
  const cases: [Command, number, string | null][] = [
    [cmd(), 10 ** 9, null],
    [cmd({ staleness: { mode: "unchecked" } }), 10 ** 9, null],
    [strict, 0, null],
    [strict, 300_000, null], // exactly the limit is still fine
    [
      strict,
      3_725_000,
      "skipped: staleness policy (mode=strict) exceeded — agent has been disconnected for 1h 2m 5s, max allowed 5m",
    ],
  ];
  for (const [c, ms, want] of cases) {
    const s = stalenessSkip(c, ms);
    assert.equal(s?.stderr ?? null, want);
    if (s) assert.equal(s.exitCode, 127);
  }
});

Deno.test("gates: version pin (124) and revoke (126)", () => {
  assert.equal(versionPinSkip(cmd(), null), null);
  assert.equal(versionPinSkip(cmd(), "1.0.0"), null);
  assert.deepEqual(versionPinSkip(cmd(), "1.0.1"), {
    exitCode: 124,
    stderr: "skipped: version-pin mismatch — script_current[job] = 1.0.1, command brought 1.0.0",
  });
  assert.equal(revokeSkip(cmd(), null), null);
  assert.equal(revokeSkip(cmd(), "ACTIVE"), null);
  assert.deepEqual(revokeSkip(cmd(), "REVOKED"), {
    exitCode: 126,
    stderr: "skipped: command was revoked (script_status[job] = revoked)",
  });
});

Deno.test("gates: deadline (125): equal runs, later skips", () => {
  const c = cmd({ deadline_at: "2026-06-20T01:00:00Z" });
  assert.equal(deadlineSkip(c, T), null);
  assert.equal(deadlineSkip(cmd(), T + 10 ** 9), null);
  assert.deepEqual(deadlineSkip(c, T + 90_500), {
    exitCode: 125,
    stderr:
      "skipped: starting deadline expired 1m 30s ago (deadline 2026-06-20 01:00:00 UTC, received 2026-06-20 01:01:30 UTC)",
  });
  assert.equal(utcHuman(T), "2026-06-20 01:00:00 UTC");
});

Deno.test("gates: gates run in §4.1 order and read KV lazily", async () => {
  let reads = 0;
  const kv = (v: string | null) => () => {
    reads++;
    return Promise.resolve(v);
  };
  const stale = await runGates({
    cmd: cmd({
      staleness: { mode: "strict", max_cache_age: "1s" },
      deadline_at: "2020-01-01T00:00:00Z",
    }),
    nowMs: T,
    disconnectedMs: 5000,
    scriptCurrent: kv("9"),
    scriptStatus: kv("REVOKED"),
  });
  assert.equal(stale?.exitCode, 127);
  assert.equal(reads, 0);
  const pin = await runGates({
    cmd: cmd({ deadline_at: "2020-01-01T00:00:00Z" }),
    nowMs: T,
    disconnectedMs: 0,
    scriptCurrent: kv("9"),
    scriptStatus: kv("REVOKED"),
  });
  assert.equal(pin?.exitCode, 124);
  const rev = await runGates({
    cmd: cmd({ deadline_at: "2020-01-01T00:00:00Z" }),
    nowMs: T,
    disconnectedMs: 0,
    scriptCurrent: kv("1.0.0"),
    scriptStatus: kv("REVOKED"),
  });
  assert.equal(rev?.exitCode, 126);
  const dl = await runGates({
    cmd: cmd({ deadline_at: "2020-01-01T00:00:00Z" }),
    nowMs: T,
    disconnectedMs: 0,
    scriptCurrent: kv(null),
    scriptStatus: kv(null),
  });
  assert.equal(dl?.exitCode, 125);
  const ok = await runGates({
    cmd: cmd(),
    nowMs: T,
    disconnectedMs: 0,
    scriptCurrent: kv(null),
    scriptStatus: kv(null),
  });
  assert.equal(ok, null);
});
