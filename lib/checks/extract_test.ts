import assert from "node:assert/strict";
import {
  checkVerdict,
  detailText,
  failedRunDetail,
  headChars,
  isSyntheticSkip,
} from "./extract.ts";

const hint = { statusField: "status", detailField: "detail" };
const ok0 = (stdout: string) => ({ exit_code: 0, stdout, stderr: "" });

Deno.test("checkVerdict(): status is exactly ok/warn/fail, anything else unknown", () => {
  const cases: [string, string][] = [
    ['{"status":"ok"}', "ok"],
    ['{"status":"warn"}', "warn"],
    ['{"status":"fail"}', "fail"],
    ['{"status":"OK"}', "unknown"],
    ['{"status":" ok"}', "unknown"],
    ['{"status":"failed"}', "unknown"],
    ['{"status":1}', "unknown"],
    ['{"status":null}', "unknown"],
    ["{}", "unknown"],
    ["[1,2]", "unknown"],
    ['"ok"', "unknown"],
    ["42", "unknown"],
    ["null", "unknown"],
    ['{"toString":"ok"}', "unknown"],
  ];
  for (const [stdout, want] of cases) {
    const v = checkVerdict(hint, ok0(stdout));
    assert.equal(v.kind, "outcome", stdout);
    assert.equal(v.kind === "outcome" && v.outcome.status, want, stdout);
  }
});

Deno.test("checkVerdict(): custom status and detail fields", () => {
  const v = checkVerdict(
    { statusField: "state", detailField: "why" },
    ok0('{"state":"warn","why":"disk 91%","status":"ok","detail":"x"}'),
  );
  assert.deepEqual(v, { kind: "outcome", outcome: { status: "warn", detail: "disk 91%" } });
});

Deno.test("detailText(): null and empty are none, scalars stringified, structures compact JSON", () => {
  const cases: [unknown, string | null][] = [
    [undefined, null],
    [null, null],
    ["", null],
    [" ", " "],
    ["text", "text"],
    [0, "0"],
    [1.5, "1.5"],
    [false, "false"],
    [true, "true"],
    [[1, "a"], '[1,"a"]'],
    [{ a: { b: [1] } }, '{"a":{"b":[1]}}'],
    [{}, "{}"],
  ];
  for (const [v, want] of cases) assert.equal(detailText(v), want, JSON.stringify(v));
});

Deno.test("checkVerdict(): stdout that is not JSON is poison (no row)", () => {
  for (const stdout of ["", "status=ok", '{"status":"ok"', "ok\n"]) {
    const v = checkVerdict(hint, ok0(stdout));
    assert.equal(v.kind, "poison", JSON.stringify(stdout));
    assert.match(v.kind === "poison" ? v.reason : "", /^check stdout is not JSON: /);
  }
  // Surrounding whitespace is still one JSON document.
  assert.equal(checkVerdict(hint, ok0('  {"status":"ok"}\r\n')).kind, "outcome");
});

Deno.test("checkVerdict(): a non-zero exit is unknown with the exit code and the stderr head", () => {
  const v = (exit_code: number, stderr: string, stdout = '{"status":"ok"}') =>
    checkVerdict(hint, { exit_code, stdout, stderr });
  assert.deepEqual(v(1, ""), {
    kind: "outcome",
    outcome: { status: "unknown", detail: "check script exited 1" },
  });
  assert.deepEqual(v(2, "  \n boom \n"), {
    kind: "outcome",
    outcome: { status: "unknown", detail: "check script exited 2: boom" },
  });
  assert.deepEqual(v(-1, "   "), {
    kind: "outcome",
    outcome: { status: "unknown", detail: "check script exited -1" },
  });
  // 200 code points, not UTF-16 units: astral characters count once.
  const long = "😀".repeat(150) + "x".repeat(100);
  const d = failedRunDetail(3, long);
  assert.equal(d, `check script exited 3: ${"😀".repeat(150)}${"x".repeat(50)}`);
  // A real script may exit 126 too: only the agent's own skip text marks a synthetic skip.
  assert.equal(v(126, "Access denied").kind, "outcome");
});

Deno.test("isSyntheticSkip(): exit 124-127 with the agent's skipped: text is ignored", () => {
  const skips: [number, string][] = [
    [124, "skipped: version-pin mismatch — script_current[j] = 2, command brought 1"],
    [125, "skipped: starting deadline expired 5s ago"],
    [126, "skipped: command was revoked (script_status[j] = revoked)"],
    [127, "skipped: staleness policy (mode=strict) exceeded"],
  ];
  for (const [code, stderr] of skips) {
    assert.equal(isSyntheticSkip(code, stderr), true, stderr);
    assert.deepEqual(checkVerdict(hint, { exit_code: code, stdout: "", stderr }), { kind: "skip" });
  }
  assert.equal(isSyntheticSkip(123, "skipped: x"), false);
  assert.equal(isSyntheticSkip(128, "skipped: x"), false);
  assert.equal(isSyntheticSkip(126, " skipped: x"), false);
});

Deno.test("headChars(): counts code points", () => {
  assert.equal(headChars("abc", 2), "ab");
  assert.equal(headChars("a😀b", 2), "a😀");
  assert.equal(headChars("", 5), "");
});
