import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { nextRun } from "./service.ts";
import { decodeSchedule, type Schedule } from "../../wire/schedule.ts";

const NOW = Date.UTC(2026, 10, 22, 12, 0, 30); // Sunday
const s = (raw: Record<string, unknown>): Schedule =>
  decodeSchedule({ id: "s", job_id: "j", tz: "utc", ...raw })!;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

Deno.test("nextRun() honours the cron, tz and the active window", async (t) => {
  const table: [string, Record<string, unknown>, string | null][] = [
    ["legacy cron (UTC)", { cron: "0 */5 * * * *" }, "2026-11-22T12:05:00.000Z"],
    ["per_pc polls every minute", { when: { per_pc: "once" } }, "2026-11-22T12:01:00.000Z"],
    ["calendar later today", { when: { calendar: { at: "18:30" } } }, "2026-11-22T18:30:00.000Z"],
    [
      "calendar weekdays skips Sunday",
      { when: { calendar: { at: "09:00", days: ["mon-fri"] } } },
      "2026-11-23T09:00:00.000Z",
    ],
    [
      "one-shot in the future",
      { when: { calendar: { at: "2027-01-02 03:04" } } },
      "2027-01-02T03:04:00.000Z",
    ],
    ["one-shot in the past", { when: { calendar: { at: "2025-01-02 03:04" } } }, null],
    ["active.from in the future", {
      when: { calendar: { at: "09:00" } },
      active: { from: "2026-12-01" },
    }, "2026-12-01T09:00:00.000Z"],
    ["active.from exactly at a run", {
      when: { per_pc: "once" },
      active: { from: "2026-12-01T00:00:00Z" },
    }, "2026-12-01T00:00:00.000Z"],
    ["active.until before the next run", {
      when: { calendar: { at: "18:30" } },
      active: { until: "2026-11-22T18:30:00Z" },
    }, null],
    ["event trigger has no next run", { when: { on: ["logon"] }, runs_on: "agent" }, null],
  ];
  for (const [name, raw, want] of table) {
    await t.step(name, () => assertEquals(iso(nextRun(s(raw), NOW)), want));
  }
});
