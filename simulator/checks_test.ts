import assert from "node:assert/strict";
import {
  answerCheck,
  baseStatus,
  type CheckMix,
  checksBehaviour,
  checkSettings,
  configureChecks,
  DEFAULT_MIX,
  flips,
  parseMix,
  statusOfRun,
} from "./checks.ts";
import { checkVerdict } from "../lib/checks/extract.ts";
import type { Command } from "../wire/messages.ts";

const PCS = Array.from({ length: 4000 }, (_, i) => `PC-${String(i + 1).padStart(4, "0")}`);

function cmd(check: Partial<NonNullable<Command["check"]>> | null, script = "Test-Thing") {
  return {
    id: "chk",
    version: "1.0.0",
    request_id: crypto.randomUUID(),
    exec_id: null,
    shell: "powershell",
    script,
    timeout_secs: 60,
    jitter_secs: null,
    run_as: "system",
    staleness: { mode: "cached" },
    check: check && { status_field: "status", detail_field: "detail", fleet: true, ...check },
  } as Command;
}

function shares(mix: CheckMix, name = "bitlocker") {
  const n: Record<string, number> = { ok: 0, warn: 0, fail: 0, unknown: 0 };
  for (const pc of PCS) n[baseStatus(pc, name, mix)]++;
  return Object.fromEntries(Object.entries(n).map(([k, v]) => [k, v / PCS.length]));
}

Deno.test("checks mix: the statuses come in the configured shares, fixed per PC and check", () => {
  const s = shares({ ok: 70, warn: 20, fail: 10, unknown: 0 });
  assert.ok(Math.abs(s.ok - 0.7) < 0.03, JSON.stringify(s));
  assert.ok(Math.abs(s.warn - 0.2) < 0.03, JSON.stringify(s));
  assert.ok(Math.abs(s.fail - 0.1) < 0.03, JSON.stringify(s));
  assert.equal(s.unknown, 0);
  // A weight of 0 never comes up; another check draws independently.
  assert.equal(shares({ ok: 0, warn: 0, fail: 1, unknown: 0 }).fail, 1);
  const same =
    PCS.filter((pc) =>
      baseStatus(pc, "bitlocker", DEFAULT_MIX) === baseStatus(pc, "defender", DEFAULT_MIX)
    ).length;
  assert.ok(same < PCS.length * 0.8, `${same} PCs agree across two checks`);
  assert.equal(baseStatus("PC-7", "x", DEFAULT_MIX), baseStatus("PC-7", "x", DEFAULT_MIX));
});

Deno.test("checks flip: the configured share alternates with another status on every run", () => {
  const s = { mix: { ok: 50, warn: 20, fail: 20, unknown: 10 }, flip: 0.25 };
  const flipping = PCS.filter((pc) => flips(pc, "disk", s.flip));
  assert.ok(Math.abs(flipping.length / PCS.length - 0.25) < 0.03, `${flipping.length}`);
  for (const pc of PCS.slice(0, 400)) {
    const runs = [0, 1, 2, 3].map((n) => statusOfRun(pc, "disk", n, s));
    assert.equal(runs[0], baseStatus(pc, "disk", s.mix));
    assert.equal(runs[0], runs[2]);
    assert.equal(runs[1], runs[3]);
    if (flips(pc, "disk", s.flip)) {
      assert.notEqual(runs[0], runs[1]);
      assert.ok(runs.includes("ok"), "a flipping PC passes every other run");
    } else assert.equal(runs[0], runs[1]);
  }
  assert.equal(PCS.some((pc) => flips(pc, "disk", 0)), false);
  assert.equal(PCS.every((pc) => flips(pc, "disk", 1)), true);
});

Deno.test("checks answer: upstream's stdout shape, read back by the projection's own rules", () => {
  checkSettings.mix = { ok: 1, warn: 1, fail: 1, unknown: 1 };
  checkSettings.flip = 0;
  try {
    const seen = new Set<string>();
    for (const pc of PCS.slice(0, 200)) {
      const hint = {
        name: "disk",
        label: "Disk space",
        status_field: "state",
        detail_field: "why",
      };
      const out = answerCheck({ pcId: pc }, cmd(hint))!;
      const v = checkVerdict({ statusField: "state", detailField: "why" }, {
        exit_code: out.exitCode,
        stdout: out.stdout,
        stderr: out.stderr,
      });
      assert.equal(v.kind, "outcome");
      if (v.kind !== "outcome") continue;
      const want = baseStatus(pc, "disk", checkSettings.mix);
      assert.equal(v.outcome.status, want, `${pc}: ${out.stdout}${out.stderr}`);
      seen.add(want);
      if (want === "unknown") {
        assert.equal(out.exitCode, 1);
        assert.match(v.outcome.detail!, /^check script exited 1: Disk space: simulated check/);
      } else {
        assert.equal(out.exitCode, 0);
        assert.match(v.outcome.detail!, /^Disk space: /);
      }
    }
    assert.deepEqual([...seen].sort(), ["fail", "ok", "unknown", "warn"]);
  } finally {
    checkSettings.mix = { ...DEFAULT_MIX };
  }
});

Deno.test("checks answer: counts runs per agent; leaves plain jobs and simulator scripts alone", () => {
  checkSettings.flip = 1;
  try {
    const agent = { pcId: "PC-0042" };
    const statuses = [0, 1, 2].map(() =>
      JSON.parse(answerCheck(agent, cmd({ name: "fw" }))!.stdout).status
    );
    const base = baseStatus("PC-0042", "fw", checkSettings.mix);
    assert.equal(statuses[0], base);
    assert.notEqual(statuses[1], base);
    assert.equal(statuses[2], base);
    // Another agent object starts its own count.
    assert.equal(
      JSON.parse(answerCheck({ pcId: "PC-0042" }, cmd({ name: "fw" }))!.stdout).status,
      base,
    );
  } finally {
    checkSettings.flip = 0;
  }
  assert.equal(answerCheck({ pcId: "PC-1" }, cmd(null)), null);
  assert.equal(answerCheck({ pcId: "PC-1" }, cmd({ name: "fw" }, 'json {"status":"fail"}')), null);
  assert.equal(checksBehaviour.run({ pcId: "PC-1" }, cmd(null)), null);
});

Deno.test("checks flags: --check-mix and --check-flip are checked and name the flag", () => {
  assert.deepEqual(parseMix("ok=80, warn=10,fail=10"), { ok: 80, warn: 10, fail: 10, unknown: 0 });
  assert.deepEqual(parseMix("fail=1,unknown=0.5"), { ok: 0, warn: 0, fail: 1, unknown: 0.5 });
  assert.throws(() => parseMix("ok=80,great=10"), /--check-mix: 'great=10' is not/);
  assert.throws(() => parseMix("ok=-1"), /--check-mix: 'ok=-1' is not/);
  assert.throws(() => parseMix("ok=1,ok=2"), /ok given twice/);
  assert.throws(() => parseMix("ok=0"), /at least one weight above 0/);
  assert.throws(() => parseMix(""), /at least one weight above 0/);
  try {
    configureChecks(new Map([["--check-mix", "ok=1,fail=3"], ["--check-flip", "0.2"]]));
    assert.deepEqual(checkSettings, { mix: { ok: 1, warn: 0, fail: 3, unknown: 0 }, flip: 0.2 });
    assert.throws(() => configureChecks(new Map([["--check-flip", "1.5"]])), /--check-flip/);
    assert.throws(() => configureChecks(new Map([["--check-flip", ""]])), /--check-flip/);
  } finally {
    checkSettings.mix = { ...DEFAULT_MIX };
    checkSettings.flip = 0;
  }
});
