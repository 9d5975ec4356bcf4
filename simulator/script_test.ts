import assert from "node:assert/strict";
import { expand, parseScript, plannedSleepMs } from "./script.ts";

Deno.test("script: the simulated language parses line by line", () => {
  const cases: [string, unknown][] = [
    ["echo hi", { kind: "sim", ops: [{ op: "echo", text: "hi" }] }],
    ["echo", { kind: "sim", ops: [{ op: "echo", text: "" }] }],
    ["# c\n\nsleep 250\nsleep 2s\nexit 3", {
      kind: "sim",
      ops: [{ op: "sleep", ms: 250 }, { op: "sleep", ms: 2000 }, { op: "exit", code: 3 }],
    }],
    ["exit -1", { kind: "sim", ops: [{ op: "exit", code: -1 }] }],
    ["stdout_bytes 10\nstderr_bytes 2", {
      kind: "sim",
      ops: [{ op: "stdout_bytes", n: 10 }, { op: "stderr_bytes", n: 2 }],
    }],
    ['json {"hostname":"{{pc_id}}","ram":1}', {
      kind: "sim",
      ops: [{ op: "json", text: '{"hostname":"{{pc_id}}","ram":1}' }],
    }],
    ["fail_rate 0.5\necho_err e", {
      kind: "sim",
      ops: [{ op: "fail_rate", p: 0.5 }, { op: "echo_err", text: "e" }],
    }],
    // Not the language: opaque, echo of the first line.
    ["Get-Process | Select -First 1", {
      kind: "opaque",
      firstLine: "Get-Process | Select -First 1",
    }],
    ["echo ok\nGet-Date", { kind: "opaque", firstLine: "echo ok" }],
    ["sleep forever", { kind: "opaque", firstLine: "sleep forever" }],
    ["exit x", { kind: "opaque", firstLine: "exit x" }],
    ["exit 99999999999", { kind: "opaque", firstLine: "exit 99999999999" }],
    ["json {bad", { kind: "opaque", firstLine: "json {bad" }],
    ["fail_rate 2", { kind: "opaque", firstLine: "fail_rate 2" }],
    ["stdout_bytes 999999999999", { kind: "opaque", firstLine: "stdout_bytes 999999999999" }],
    ["", { kind: "opaque", firstLine: "" }],
    ["# only a comment", { kind: "opaque", firstLine: "# only a comment" }],
  ];
  for (const [src, want] of cases) assert.deepEqual(parseScript(src), want, src);
});

Deno.test("script: helpers", () => {
  assert.equal(expand("on {{pc_id}} / {{pc_id}}", "PC1"), "on PC1 / PC1");
  assert.equal(plannedSleepMs(parseScript("sleep 1s\nsleep 5")), 1005);
  assert.equal(plannedSleepMs(parseScript("Get-Date")), 0);
});
