import assert from "node:assert/strict";
import { checkKey, type CheckResult, planChecks, type StoredCheck } from "./plan.ts";
import type { CheckHintFacts } from "./extract.ts";

const hint: CheckHintFacts = {
  name: "bitlocker",
  label: "BitLocker",
  statusField: "status",
  detailField: "detail",
};

let n = 0;
function res(
  pc: string,
  at: string,
  stdout: unknown,
  over: Partial<CheckResult> = {},
): CheckResult {
  return {
    result_id: `r${++n}`,
    pc_id: pc,
    job_id: "job",
    exit_code: 0,
    stdout: typeof stdout === "string" ? stdout : JSON.stringify(stdout),
    stderr: "",
    recorded_at: at,
    ...over,
  };
}
const T = (m: number) => `2026-06-20T00:${String(m).padStart(2, "0")}:00.000000000Z`;

Deno.test("planChecks(): the first projection is a transition from none", () => {
  const p = planChecks(
    [{ r: res("PC1", T(1), { status: "fail", detail: "off" }), hint }],
    new Map(),
  );
  assert.deepEqual(p.upserts, [{
    pc_id: "PC1",
    check_name: "bitlocker",
    label: "BitLocker",
    status: "fail",
    detail: "off",
    recorded_at: T(1),
  }]);
  assert.deepEqual(p.transitions.map((t) => [t.from_status, t.status]), [[null, "fail"]]);
});

Deno.test("planChecks(): only status changes are transitions; detail changes just update", () => {
  const stored = new Map<string, StoredCheck>([[checkKey("PC1", "bitlocker"), {
    status: "fail",
    recorded_at: T(1),
  }]]);
  const p = planChecks([
    { r: res("PC1", T(2), { status: "fail", detail: "still off" }), hint },
    { r: res("PC1", T(3), { status: "ok" }), hint },
    { r: res("PC1", T(4), { status: "ok", detail: "fine" }), hint },
    { r: res("PC1", T(5), { status: "warn" }), hint },
  ], stored);
  assert.deepEqual(p.transitions.map((t) => [t.from_status, t.status, t.recorded_at]), [
    ["fail", "ok", T(3)],
    ["ok", "warn", T(5)],
  ]);
  assert.equal(p.upserts.length, 1, "one final row per (pc, check)");
  assert.equal(p.upserts[0].status, "warn");
  assert.equal(p.upserts[0].recorded_at, T(5));
});

Deno.test("planChecks(): an older result (redelivery, replay out of order) changes nothing", () => {
  const stored = new Map<string, StoredCheck>([[checkKey("PC1", "bitlocker"), {
    status: "ok",
    recorded_at: T(10),
  }]]);
  const p = planChecks([
    { r: res("PC1", T(5), { status: "fail" }), hint },
    { r: res("PC1", T(12), { status: "ok" }), hint },
    { r: res("PC1", T(11), { status: "fail" }), hint }, // older than the one before it
  ], stored);
  assert.equal(p.stale, 2);
  assert.deepEqual(p.transitions, []);
  assert.equal(p.upserts[0].recorded_at, T(12));
  assert.equal(p.upserts[0].status, "ok");
});

Deno.test("planChecks(): equal publish time still wins (same result re-projected)", () => {
  const stored = new Map<string, StoredCheck>([[checkKey("PC1", "bitlocker"), {
    status: "ok",
    recorded_at: T(10),
  }]]);
  const p = planChecks([{ r: res("PC1", T(10), { status: "ok", detail: "d" }), hint }], stored);
  assert.equal(p.stale, 0);
  assert.equal(p.upserts.length, 1);
  assert.deepEqual(p.transitions, []);
});

Deno.test("planChecks(): skips and poison project nothing; other PCs and checks are independent", () => {
  const other: CheckHintFacts = { ...hint, name: "av", label: null };
  const p = planChecks([
    { r: res("PC1", T(1), "not json"), hint },
    {
      r: res("PC1", T(2), "", { exit_code: 126, stderr: "skipped: command was revoked" }),
      hint,
    },
    { r: res("PC1", T(3), "", { exit_code: 1, stderr: "boom" }), hint: other },
    { r: res("PC2", T(3), { status: "ok" }), hint },
  ], new Map());
  assert.equal(p.poison.length, 1);
  assert.equal(p.skipped, 1);
  assert.deepEqual(
    p.upserts.map((u) => [u.pc_id, u.check_name, u.status, u.detail, u.label]),
    [
      ["PC1", "av", "unknown", "check script exited 1: boom", null],
      ["PC2", "bitlocker", "ok", null, "BitLocker"],
    ],
  );
  assert.deepEqual(p.transitions.map((t) => [t.pc_id, t.from_status, t.status]), [
    ["PC1", null, "unknown"],
    ["PC2", null, "ok"],
  ]);
});

Deno.test("planChecks(): results published at or before a clear of their check are not projected", () => {
  const work = [
    { r: res("PC1", T(1), { status: "fail" }), hint },
    { r: res("PC2", T(2), { status: "fail" }), hint },
    { r: res("PC3", T(3), { status: "warn" }), hint },
    { r: res("PC2", T(4), { status: "ok" }), hint },
    { r: res("PC1", T(5), { status: "ok" }), hint },
  ];
  const clears = new Map([
    [checkKey("", "bitlocker"), T(2)], // every PC, at minute 2 (inclusive)
    [checkKey("PC3", "bitlocker"), T(3)], // PC3 alone, at minute 3
    [checkKey("", "other-check"), T(9)], // another check: no effect
  ]);
  const p = planChecks(work, new Map(), clears);
  assert.deepEqual(p.upserts.map((u) => [u.pc_id, u.status, u.recorded_at]), [
    ["PC2", "ok", T(4)],
    ["PC1", "ok", T(5)],
  ]);
  assert.equal(p.cleared, 3);
  assert.equal(p.stale, 0);
  // A transition starts from what the clear left: nothing.
  assert.deepEqual(p.transitions.map((t) => [t.pc_id, t.from_status, t.status]), [
    ["PC2", null, "ok"],
    ["PC1", null, "ok"],
  ]);
  // No marks: everything is projected (the default).
  assert.equal(planChecks(work, new Map()).upserts.length, 3);
});
