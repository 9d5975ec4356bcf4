import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  type Completion,
  decideFire,
  type Decision,
  isInFlight,
  markWindowSecs,
  narrowPcs,
} from "./policy.ts";
import type { Mode } from "../wire/schedule.ts";

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const H = 3_600_000;
const c = (pc_id: string, agoMs: number): Completion => ({ pc_id, finished_ms: NOW - agoMs });
const skip = (autoDisable = false): Decision => ({ action: { kind: "skip" }, autoDisable });
const whole: Decision = { action: { kind: "fire_whole_target" }, autoDisable: false };
const pcs = (...p: string[]): Decision => ({
  action: { kind: "fire_pcs", pcs: p },
  autoDisable: false,
});

interface Case {
  name: string;
  mode: Mode;
  cooldownMs?: number | null;
  auto?: boolean;
  expected: string[];
  completions?: Completion[];
  want: Decision;
}

const cases: Case[] = [
  // every_tick
  { name: "every_tick fires with an empty roster", mode: "every_tick", expected: [], want: whole },
  {
    name: "every_tick ignores completions and auto flag",
    mode: "every_tick",
    auto: true,
    expected: ["a"],
    completions: [c("a", 1)],
    want: whole,
  },
  // once_per_pc
  {
    name: "once_per_pc fires at every PC without a completion",
    mode: "once_per_pc",
    expected: ["a", "b", "c"],
    completions: [c("b", H)],
    want: pcs("a", "c"),
  },
  {
    name: "once_per_pc keeps roster order",
    mode: "once_per_pc",
    expected: ["z", "a", "m"],
    want: pcs("z", "a", "m"),
  },
  {
    name: "once_per_pc without cooldown never re-fires",
    mode: "once_per_pc",
    expected: ["a"],
    completions: [c("a", 1000 * H)],
    want: skip(),
  },
  {
    name: "once_per_pc cooldown: 1 ms before re-arm skips",
    mode: "once_per_pc",
    cooldownMs: H,
    expected: ["a"],
    completions: [c("a", H - 1)],
    want: skip(),
  },
  {
    name: "once_per_pc cooldown: exactly at cooldown re-arms (inclusive)",
    mode: "once_per_pc",
    cooldownMs: H,
    expected: ["a"],
    completions: [c("a", H)],
    want: pcs("a"),
  },
  {
    name: "once_per_pc cooldown: after cooldown re-arms",
    mode: "once_per_pc",
    cooldownMs: H,
    expected: ["a", "b"],
    completions: [c("a", H + 1), c("b", 5)],
    want: pcs("a"),
  },
  {
    name: "once_per_pc newest completion per PC wins",
    mode: "once_per_pc",
    cooldownMs: H,
    expected: ["a"],
    completions: [c("a", 2 * H), c("a", 10)],
    want: skip(),
  },
  {
    name: "once_per_pc empty roster skips, no auto-disable",
    mode: "once_per_pc",
    auto: true,
    expected: [],
    want: skip(false),
  },
  {
    name: "once_per_pc all done + flag auto-disables",
    mode: "once_per_pc",
    auto: true,
    expected: ["a", "b"],
    completions: [c("a", 1), c("b", 1)],
    want: skip(true),
  },
  {
    name: "once_per_pc all done without flag keeps schedule",
    mode: "once_per_pc",
    auto: false,
    expected: ["a"],
    completions: [c("a", 1)],
    want: skip(false),
  },
  {
    name: "once_per_pc never auto-disables with a cooldown",
    mode: "once_per_pc",
    auto: true,
    cooldownMs: H,
    expected: ["a"],
    completions: [c("a", 1)],
    want: skip(false),
  },
  {
    name: "once_per_pc completions outside the roster are ignored",
    mode: "once_per_pc",
    expected: ["a"],
    completions: [c("x", 1)],
    want: pcs("a"),
  },
  {
    name: "once_per_pc zero cooldown always re-arms",
    mode: "once_per_pc",
    cooldownMs: 0,
    expected: ["a"],
    completions: [c("a", 0)],
    want: pcs("a"),
  },
  // once_per_target
  {
    name: "once_per_target fires when no PC completed",
    mode: "once_per_target",
    expected: ["a", "b"],
    want: whole,
  },
  {
    name: "once_per_target armed but empty roster skips",
    mode: "once_per_target",
    auto: true,
    expected: [],
    want: skip(false),
  },
  {
    name: "once_per_target one completion disarms",
    mode: "once_per_target",
    expected: ["a", "b"],
    completions: [c("b", 1)],
    want: skip(),
  },
  {
    name: "once_per_target out-of-roster completions ignored",
    mode: "once_per_target",
    expected: ["a"],
    completions: [c("x", 1)],
    want: whole,
  },
  {
    name: "once_per_target cooldown 1 ms early skips",
    mode: "once_per_target",
    cooldownMs: H,
    expected: ["a"],
    completions: [c("a", H - 1)],
    want: skip(),
  },
  {
    name: "once_per_target cooldown exactly re-arms",
    mode: "once_per_target",
    cooldownMs: H,
    expected: ["a"],
    completions: [c("a", H)],
    want: whole,
  },
  {
    name: "once_per_target latest completion among roster decides",
    mode: "once_per_target",
    cooldownMs: H,
    expected: ["a", "b"],
    completions: [c("a", 2 * H), c("b", 10)],
    want: skip(),
  },
  {
    name: "once_per_target done + flag auto-disables",
    mode: "once_per_target",
    auto: true,
    expected: ["a"],
    completions: [c("a", 1)],
    want: skip(true),
  },
  {
    name: "once_per_target done + flag + cooldown does not auto-disable",
    mode: "once_per_target",
    auto: true,
    cooldownMs: H,
    expected: ["a"],
    completions: [c("a", 1)],
    want: skip(false),
  },
];

Deno.test("decideFire() follows backend.md §7.2 at every boundary", async (t) => {
  for (const k of cases) {
    await t.step(k.name, () => {
      const got = decideFire({
        mode: k.mode,
        cooldownMs: k.cooldownMs ?? null,
        autoDisableWhenDone: k.auto ?? false,
        expected: k.expected,
        completions: k.completions ?? [],
        nowMs: NOW,
      });
      assertEquals(got, k.want);
    });
  }
});

Deno.test("markWindowSecs() clamps jitter + timeout + 90 s to [90 s, 30 min]", () => {
  const table: [number, number, number][] = [
    [0, 0, 90],
    [0, 60, 150],
    [30, 60, 180],
    [0, 1710, 1800],
    [0, 1711, 1800],
    [600, 7200, 1800],
  ];
  for (const [j, t, want] of table) assertEquals(markWindowSecs(j, t), want, `${j}+${t}`);
});

Deno.test("isInFlight() ends at expiry or at a finish after the fire", () => {
  const mark = { atMs: NOW - 10_000, untilMs: NOW + 10_000 };
  assertEquals(isInFlight(undefined, undefined, NOW), false);
  assertEquals(isInFlight(mark, undefined, NOW), true);
  assertEquals(isInFlight(mark, NOW - 20_000, NOW), true, "finish before the fire");
  assertEquals(isInFlight(mark, NOW - 10_000, NOW), false, "finish exactly at the fire");
  assertEquals(isInFlight(mark, undefined, NOW + 10_000), false, "expired exactly");
  assertEquals(isInFlight(mark, undefined, NOW + 9_999), true);
});

Deno.test("narrowPcs() drops in-flight PCs and caps at max_concurrent", () => {
  const inflight = new Set(["b"]);
  assertEquals(narrowPcs(["a", "b", "c"], inflight, null), ["a", "c"]);
  assertEquals(narrowPcs(["a", "b", "c"], inflight, 2), ["a"]);
  assertEquals(narrowPcs(["a", "b", "c"], inflight, 1), []);
  assertEquals(narrowPcs(["a", "c"], new Set(), 5), ["a", "c"]);
  assertEquals(narrowPcs(["a", "c"], new Set(["x", "y", "z"]), 2), []);
});
