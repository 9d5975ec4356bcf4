import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { lowerWhen, tickGate } from "./when.ts";
import { decodeSchedule, type Schedule, type When } from "../wire/schedule.ts";

Deno.test("lowerWhen() follows the protocol.md §6.2.2 conversion table", async (t) => {
  const table: [string, When, ReturnType<typeof lowerWhen>][] = [
    ["per_pc once", { per_pc: "once" }, {
      cron: "0 * * * * *",
      mode: "once_per_pc",
      cooldown: null,
    }],
    ["per_pc every", { per_pc: { every: "4h" } }, {
      cron: "0 * * * * *",
      mode: "once_per_pc",
      cooldown: "4h",
    }],
    ["per_target once", { per_target: "once" }, {
      cron: "0 * * * * *",
      mode: "once_per_target",
      cooldown: null,
    }],
    ["per_target every", { per_target: { every: "1d" } }, {
      cron: "0 * * * * *",
      mode: "once_per_target",
      cooldown: "1d",
    }],
    ["calendar every day", { calendar: { at: "09:00" } }, {
      cron: "0 0 9 * * *",
      mode: "every_tick",
      cooldown: null,
    }],
    ["calendar empty days = every day", { calendar: { at: "9:05", days: [] } }, {
      cron: "0 5 9 * * *",
      mode: "every_tick",
      cooldown: null,
    }],
    ["calendar day range", { calendar: { at: "09:30", days: ["mon-fri"] } }, {
      cron: "0 30 9 * * mon-fri",
      mode: "every_tick",
      cooldown: null,
    }],
    ["calendar day list, numbers, nth and last", {
      calendar: { at: "23:59", days: ["sat", "0", "tue#2", "friL"] },
    }, { cron: "0 59 23 * * sat,0,tue#2,friL", mode: "every_tick", cooldown: null }],
    ["calendar one-shot", { calendar: { at: "2026-12-24 18:00" } }, {
      cron: "0 0 18 24 12 * 2026",
      mode: "every_tick",
      cooldown: null,
    }],
    ["calendar one-shot with T", { calendar: { at: "2027-01-05T07:08" } }, {
      cron: "0 8 7 5 1 * 2027",
      mode: "every_tick",
      cooldown: null,
    }],
    ["calendar one-shot with slashes", { calendar: { at: "2027/02/28 00:00" } }, {
      cron: "0 0 0 28 2 * 2027",
      mode: "every_tick",
      cooldown: null,
    }],
    ["on (agent event)", { on: ["startup", "logon"] }, {
      cron: null,
      mode: "event",
      cooldown: null,
    }],
  ];
  for (const [name, when, want] of table) {
    await t.step(name, () => assertEquals(lowerWhen(when), want));
  }
  await t.step("unparseable at throws", () => {
    throws(() => lowerWhen({ calendar: { at: "25:00" } }));
  });
});

const sched = (extra: Record<string, unknown>): Schedule =>
  decodeSchedule({
    id: "s",
    when: { per_pc: "once" },
    job_id: "j",
    target: { all: true },
    tz: "utc",
    ...extra,
  })!;

Deno.test("tickGate() applies active, window and skip_dates at tick time", async (t) => {
  const at = (iso: string) => Date.parse(iso);
  const table: [string, Record<string, unknown>, string, boolean][] = [
    ["no gates", {}, "2026-11-22T12:00:00Z", true],
    ["before active.from", { active: { from: "2026-11-23" } }, "2026-11-22T23:59:59Z", false],
    ["exactly at active.from", { active: { from: "2026-11-23" } }, "2026-11-23T00:00:00Z", true],
    [
      "1 ms before active.until",
      { active: { until: "2026-11-23T00:00:00Z" } },
      "2026-11-22T23:59:59.999Z",
      true,
    ],
    [
      "exactly at active.until (half-open)",
      { active: { until: "2026-11-23T00:00:00Z" } },
      "2026-11-23T00:00:00Z",
      false,
    ],
    [
      "RFC 3339 bound keeps its offset",
      { active: { from: "2026-11-23T09:00:00+09:00" } },
      "2026-11-23T00:00:00Z",
      true,
    ],
    [
      "unparseable active bound fails open",
      { active: { from: "soon" } },
      "2026-11-22T12:00:00Z",
      true,
    ],
    ["inside window", { constraints: { window: "09:00-17:00" } }, "2026-11-22T09:00:00Z", true],
    [
      "window end is exclusive",
      { constraints: { window: "09:00-17:00" } },
      "2026-11-22T17:00:00Z",
      false,
    ],
    [
      "window crossing midnight, late",
      { constraints: { window: "22:00-06:00" } },
      "2026-11-22T23:30:00Z",
      true,
    ],
    [
      "window crossing midnight, early",
      { constraints: { window: "22:00-06:00" } },
      "2026-11-22T05:59:00Z",
      true,
    ],
    [
      "window crossing midnight, outside",
      { constraints: { window: "22:00-06:00" } },
      "2026-11-22T12:00:00Z",
      false,
    ],
    [
      "corrupt window fails closed",
      { constraints: { window: "9-5" } },
      "2026-11-22T12:00:00Z",
      false,
    ],
    [
      "skip date matches",
      { constraints: { skip_dates: ["2026-11-22"] } },
      "2026-11-22T12:00:00Z",
      false,
    ],
    [
      "other skip date",
      { constraints: { skip_dates: ["2026-11-21"] } },
      "2026-11-22T12:00:00Z",
      true,
    ],
    [
      "corrupt skip date fails closed",
      { constraints: { skip_dates: ["2026-02-30"] } },
      "2026-11-22T12:00:00Z",
      false,
    ],
  ];
  for (const [name, extra, when, fires] of table) {
    await t.step(name, () => assertEquals(tickGate(sched(extra), at(when)) === null, fires));
  }
  await t.step("legacy cron shape has no gates", () => {
    const s = decodeSchedule({ id: "x", cron: "* * * * * *", job_id: "j" })!;
    assertEquals(tickGate(s, Date.now()), null);
  });
});
