import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import {
  decodeSchedule,
  isWhenShape,
  parseScheduleInput,
  type Schedule,
  scheduleJsonSchema,
} from "./schedule.ts";
import { scheduleJson } from "./schedule_encode.ts";
import { validateSchedule } from "./schedule_validate.ts";
import { whenDisplay } from "./schedule_when.ts";

const WHEN_EXAMPLE =
  `{"id":"hourly-cleanup-canary","when":{"per_pc":{"every":"1h"}},"job_id":"cleanup","target":{"groups":["canary","wave1"],"pcs":[],"all":false},"rollout":{"strategy":"wave","waves":[{"group":"canary","delay":"0s"},{"group":"wave1","delay":"5s"}]},"jitter":"30s","on_failure":{"retry":{"max":3,"backoff":"10m"}},"tz":"local","runs_on":"backend","enabled":true}`;
const CRON_EXAMPLE =
  `{"id":"hourly-cleanup-canary","cron":"0 0 * * * *","job_id":"cleanup","target":{"groups":["canary","wave1"],"pcs":[],"all":false},"jitter":"30s","mode":"every_tick","auto_disable_when_done":false,"runs_on":"backend","enabled":true}`;

Deno.test("schedule encoders reproduce protocol.md §6.2 examples byte for byte", async (t) => {
  await t.step("when shape", () => {
    const s = decodeSchedule(JSON.parse(WHEN_EXAMPLE))!;
    ok(isWhenShape(s));
    assertEquals(scheduleJson(s), WHEN_EXAMPLE);
  });
  await t.step("legacy cron shape", () => {
    const s = decodeSchedule(JSON.parse(CRON_EXAMPLE))!;
    ok(!isWhenShape(s));
    assertEquals(scheduleJson(s), CRON_EXAMPLE);
  });
  await t.step("defaults are written, empties omitted, order fixed", () => {
    const s = decodeSchedule({
      enabled: false,
      job_id: "j",
      when: { calendar: { at: "09:00", days: [] } },
      id: "x",
      active: {},
      constraints: { skip_dates: [], require: { ac_power: false } },
      on_failure: {},
      tags: [],
    })!;
    assertEquals(
      scheduleJson(s),
      `{"id":"x","when":{"calendar":{"at":"09:00"}},"job_id":"j","target":{"groups":[],"pcs":[],"all":false},"tz":"local","runs_on":"backend","enabled":false}`,
    );
  });
  await t.step("full when shape keeps every section", () => {
    const s = decodeSchedule({
      id: "x",
      when: { calendar: { at: "2026-12-24 18:00" } },
      job_id: "j",
      target: { all: true },
      active: { until: "2027-01-01" },
      constraints: { window: "22:00-06:00", max_concurrent: 5, skip_dates: ["2026-12-25"] },
      tz: "utc",
      starting_deadline: "30m",
      runs_on: "backend",
      tags: ["a"],
    })!;
    assertEquals(
      scheduleJson(s),
      `{"id":"x","when":{"calendar":{"at":"2026-12-24 18:00"}},"job_id":"j","target":{"groups":[],"pcs":[],"all":true},"active":{"until":"2027-01-01"},"constraints":{"window":"22:00-06:00","max_concurrent":5,"skip_dates":["2026-12-25"]},"tz":"utc","starting_deadline":"30m","runs_on":"backend","enabled":true,"tags":["a"]}`,
    );
  });
  await t.step("legacy defaults", () => {
    const s = decodeSchedule({
      id: "k",
      cron: "*/30 * * * * *",
      job_id: "j",
      mode: "once_per_pc",
    })!;
    assertEquals(
      scheduleJson(s),
      `{"id":"k","cron":"*/30 * * * * *","job_id":"j","target":{"groups":[],"pcs":[],"all":false},"mode":"once_per_pc","auto_disable_when_done":false,"runs_on":"backend","enabled":true}`,
    );
  });
});

Deno.test("decodeSchedule() tolerates unknown keys and rejects non-schedules", () => {
  ok(decodeSchedule({ id: "a", when: { per_pc: "once" }, job_id: "j", future: 1 }));
  assertEquals(decodeSchedule({ id: "a", job_id: "j" }), null);
  assertEquals(decodeSchedule("nope"), null);
  assertEquals(decodeSchedule([1]), null);
  assertEquals(decodeSchedule({ id: "a", when: { weekly: 1 }, job_id: "j" }), null);
});

Deno.test("parseScheduleInput() is strict at the create boundary", () => {
  const bad = [
    [{ id: "a", job_id: "j", when: { per_pc: "once" }, cron: "* * * * * *" }, "not both"],
    [{ id: "a", job_id: "j" }, "needs `when`"],
    [
      { id: "a", job_id: "j", when: { per_pc: "once" }, mode: "every_tick" },
      "unknown field `mode`",
    ],
    [{ id: "a", job_id: "j", when: { per_pc: { every: "1h", x: 1 } } }, "when"],
    [{ id: "a", job_id: "j", when: { per_pc: "once" }, tz: "Asia/Tokyo" }, "tz"],
    [[], "mapping"],
  ] as const;
  for (const [v, frag] of bad) {
    const r = parseScheduleInput(v);
    ok(!r.ok, JSON.stringify(v));
    ok(!r.ok && r.error.includes(frag), `${JSON.stringify(v)} → ${!r.ok && r.error}`);
  }
  const good = parseScheduleInput({ id: "a", job_id: "j", when: { per_pc: "once" } });
  ok(good.ok);
});

function when(extra: Record<string, unknown>): Schedule {
  const r = parseScheduleInput({ id: "s", job_id: "j", when: { per_pc: "once" }, ...extra });
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

Deno.test("validateSchedule() returns upstream's messages in evaluation order", async (t) => {
  const table: [string, Record<string, unknown>, string | null][] = [
    ["valid minimal", {}, null],
    [
      "1 per_target + agent",
      { when: { per_target: "once" }, runs_on: "agent" },
      "when.per_target needs fleet-wide completion data and is backend-only; it cannot be combined with runs_on: agent (each agent self-schedules, so per-target dedup would be deduping across a target of 1)",
    ],
    [
      "2 on without agent",
      { when: { on: ["logon"] } },
      "when.on (OS event trigger) is fired by the agent's own event source, so it requires runs_on: agent",
    ],
    [
      "2 empty on",
      { when: { on: [] }, runs_on: "agent" },
      "when.on must list at least one trigger (e.g. [startup, logon])",
    ],
    ["2 on with agent ok", { when: { on: ["startup"] }, runs_on: "agent" }, null],
    [
      "3 bad every",
      { when: { per_pc: { every: "soon" } } },
      "when.every: invalid duration 'soon': expected number at 0",
    ],
    [
      "4 bad at",
      { when: { calendar: { at: "9am" } } },
      "when.at: unparseable '9am' (want HH:MM or YYYY-MM-DD HH:MM)",
    ],
    [
      "4 at out of range",
      { when: { calendar: { at: "24:00" } } },
      "when.at: unparseable '24:00' (want HH:MM or YYYY-MM-DD HH:MM)",
    ],
    [
      "4 impossible date",
      { when: { calendar: { at: "2027-02-30 10:00" } } },
      "when.at: unparseable '2027-02-30 10:00' (want HH:MM or YYYY-MM-DD HH:MM)",
    ],
    [
      "4 dated at with days",
      { when: { calendar: { at: "2026-12-24 18:00", days: ["mon"] } } },
      "when.at with a date is a one-shot and cannot be combined with days",
    ],
    [
      "4 bad day token",
      { when: { calendar: { at: "09:00", days: ["monday"] } } },
      "when.days: invalid day token 'monday' (",
    ],
    [
      "4 bad day number",
      { when: { calendar: { at: "09:00", days: ["8"] } } },
      "when.days: invalid day token '8' (",
    ],
    ["4 day range ok", {
      when: { calendar: { at: "09:00", days: ["mon-fri", "0", "7", "*", "tue#2", "friL"] } },
    }, null],
    [
      "5 bad jitter",
      { jitter: "5 parsecs" },
      "jitter: invalid duration '5 parsecs': unknown time unit",
    ],
    [
      "6 bad starting_deadline",
      { starting_deadline: "x" },
      "starting_deadline: invalid duration 'x': expected number at 0",
    ],
    [
      "7 unparseable bound",
      { active: { from: "tomorrow" } },
      "active: unparseable bound 'tomorrow' (want YYYY-MM-DD or RFC3339)",
    ],
    [
      "7 from == until",
      { active: { from: "2026-01-01", until: "2026-01-01T00:00:00Z" }, tz: "utc" },
      "active.from (2026-01-01) must be strictly before active.until (2026-01-01T00:00:00Z)",
    ],
    ["7 ordered bounds ok", { active: { from: "2026-01-01", until: "2026-01-02" } }, null],
    [
      "8 window shape",
      { constraints: { window: "09:00" } },
      "constraints.window: '09:00' must be 'HH:MM-HH:MM'",
    ],
    [
      "8 window time",
      { constraints: { window: "09:00-25:00" } },
      "constraints.window: invalid time '25:00': input is out of range",
    ],
    [
      "8 window equal",
      { constraints: { window: "09:00-09:00" } },
      "constraints.window: start and end are equal ('09:00-09:00'); omit window for 'always'",
    ],
    [
      "9 skip date",
      { constraints: { skip_dates: ["2026-13-01"] } },
      "constraints.skip_dates: invalid date '2026-13-01': input is out of range",
    ],
    [
      "10 max_concurrent + agent",
      { constraints: { max_concurrent: 2 }, runs_on: "agent" },
      "constraints.max_concurrent needs a central counter and is backend-only; ",
    ],
    [
      "10 max_concurrent 0",
      { constraints: { max_concurrent: 0 } },
      "constraints.max_concurrent must be >= 1 (0 would never fire; omit it for no cap)",
    ],
    [
      "11 require on backend",
      { constraints: { require: { ac_power: true } } },
      "constraints.require (host-state env gates: ",
    ],
    [
      "11 require false on backend is empty",
      { constraints: { require: { ac_power: false } } },
      null,
    ],
    [
      "11 idle",
      { constraints: { require: { idle: "long" } }, runs_on: "agent" },
      "constraints.require.idle: invalid duration 'long': expected number at 0",
    ],
    [
      "11 cpu_below 0",
      { constraints: { require: { cpu_below: 0 } }, runs_on: "agent" },
      "constraints.require.cpu_below must be in (0, 100] percent (got 0); omit it for no CPU requirement",
    ],
    [
      "11 cpu_below 100 ok",
      { constraints: { require: { cpu_below: 100 } }, runs_on: "agent" },
      null,
    ],
    [
      "12 bad backoff",
      { on_failure: { retry: { max: 3, backoff: "x" } } },
      "on_failure.retry.backoff: invalid duration 'x': expected number at 0",
    ],
    [
      "12 sub-second backoff",
      { on_failure: { retry: { max: 3, backoff: "500ms" } } },
      "on_failure.retry.backoff must be >= 1s (got '500ms'); sub-second backoffs round to 0 on the wire",
    ],
    [
      "12 max 0",
      { on_failure: { retry: { max: 0, backoff: "1s" } } },
      "on_failure.retry.max must be 1..=10 (got 0); it counts additional attempts after the first run",
    ],
    [
      "12 max 11",
      { on_failure: { retry: { max: 11, backoff: "1s" } } },
      "on_failure.retry.max must be 1..=10 (got 11); it counts additional attempts after the first run",
    ],
    ["12 max 10 ok", { on_failure: { retry: { max: 10, backoff: "1s" } } }, null],
    ["13 empty tag", { tags: ["a", " "] }, "tags must not contain empty entries"],
    [
      "order: rule 1 before rule 5",
      { when: { per_target: "once" }, runs_on: "agent", jitter: "bad" },
      "when.per_target needs",
    ],
  ];
  for (const [name, extra, want] of table) {
    await t.step(name, () => {
      const got = validateSchedule(when(extra));
      if (want === null) assertEquals(got, null);
      else ok(got?.startsWith(want), `got: ${got}`);
    });
  }
});

Deno.test("validateSchedule() checks the legacy cron shape too", () => {
  const v = (extra: Record<string, unknown>) => {
    const r = parseScheduleInput({ id: "s", job_id: "j", cron: "0 * * * * *", ...extra });
    if (!r.ok) throw new Error(r.error);
    return validateSchedule(r.value);
  };
  assertEquals(v({}), null);
  assertEquals(v({ cron: "0 0 12 24 12 * 2026" }), null);
  ok(v({ cron: "0 * * * *" })?.startsWith("cron: invalid cron '0 * * * *': "));
  ok(v({ cron: "0 61 * * * *" })?.startsWith("cron: invalid cron '0 61 * * * *': "));
  ok(v({ cooldown: "1 fortnight" })?.startsWith("cooldown: invalid duration '1 fortnight': "));
});

Deno.test("whenDisplay() and the JSON Schema", () => {
  assertEquals(whenDisplay(when({})), "per_pc once");
  assertEquals(whenDisplay(when({ when: { per_target: { every: "1d" } } })), "per_target every 1d");
  assertEquals(
    whenDisplay(when({ when: { calendar: { at: "09:00", days: ["mon-fri"] } } })),
    "calendar 09:00 mon-fri",
  );
  assertEquals(
    whenDisplay(decodeSchedule({ id: "a", cron: "0 0 * * * *", job_id: "j" })!),
    "0 0 * * * *",
  );
  const schema = scheduleJsonSchema();
  ok(JSON.stringify(schema).includes("per_pc"));
  ok(JSON.stringify(schema).includes("auto_disable_when_done"));
});

Deno.test("validateSchedule() reports a bare-date bound in a DST gap of the local tz", async () => {
  // America/Santiago skipped 2022-09-11 00:00 → 01:00: local midnight did not exist.
  const script = `import { parseScheduleInput } from "${
    new URL("./schedule.ts", import.meta.url).href
  }";
import { validateSchedule } from "${new URL("./schedule_validate.ts", import.meta.url).href}";
const r = parseScheduleInput({ id: "s", job_id: "j", when: { per_pc: "once" },
  active: { from: "2022-09-11" } });
console.log(r.ok ? validateSchedule(r.value) : r.error);`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    env: { TZ: "America/Santiago" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(
    new TextDecoder().decode(out.stdout).trim(),
    "active: bound '2022-09-11' falls in a DST gap for the schedule's tz",
  );
});

Deno.test("calendar days written as YAML integers are accepted as day numbers", () => {
  const r = parseScheduleInput({
    id: "s",
    job_id: "j",
    when: { calendar: { at: "09:00", days: [0, 6] } },
  });
  ok(r.ok);
  assertEquals(validateSchedule(r.value), null);
  assertEquals(
    JSON.stringify((JSON.parse(scheduleJson(r.value)) as { when: unknown }).when),
    `{"calendar":{"at":"09:00","days":["0","6"]}}`,
  );
  const bad = parseScheduleInput({
    id: "s",
    job_id: "j",
    when: { calendar: { at: "09:00", days: [9] } },
  });
  ok(bad.ok && validateSchedule(bad.value)?.startsWith("when.days: invalid day token '9'"));
});
