/**
 * `Freeze` (KV `fleet_config`, key `freeze`; protocol.md §4.15): a fleet-wide change freeze
 * that both schedulers honour at tick time. `{}` freezes indefinitely, otherwise
 * `[from, until)`. Reading fails closed: anything unreadable counts as frozen.
 */
import { z } from "zod";
import { encodeOrdered, type FieldSpec } from "./codec.ts";
import { boundsError, parseBound } from "./bounds.ts";
import { type Tz } from "./schedule.ts";

export const FreezeSchema = z.object({
  from: z.string().nullish(),
  until: z.string().nullish(),
  reason: z.string().nullish(),
  tz: z.string().default("local"),
});
export type Freeze = z.infer<typeof FreezeSchema>;

/** PUT body: unknown keys refused, `tz` must be local or utc. */
export const FreezeInputSchema = z.strictObject({
  from: z.string().nullish(),
  until: z.string().nullish(),
  reason: z.string().nullish(),
  tz: z.enum(["local", "utc"]).default("local"),
});

/** A freeze as the API shows it (`encodeFreeze`): absent bounds are left out. */
export const FreezeViewSchema = z.strictObject({
  from: z.string().optional(),
  until: z.string().optional(),
  reason: z.string().optional(),
  tz: z.string(),
});

/** `GET|PUT /api/freeze`. */
export const FreezeStateSchema = z.strictObject({
  frozen: z.boolean().meta({ description: "frozen now (fails closed on a bad stored value)" }),
  freeze: z.union([FreezeViewSchema, z.null(), z.unknown()]).meta({
    description: "the stored freeze, null when none (an undecodable value comes as stored)",
  }),
});

const FREEZE_FIELDS: readonly FieldSpec[] = [
  ["from", "omit"],
  ["until", "omit"],
  ["reason", "omit"],
  ["tz", "req"],
];

export function encodeFreeze(f: Freeze): Record<string, unknown> {
  return encodeOrdered(FREEZE_FIELDS, { ...f, tz: f.tz ?? "local" });
}

const tzOf = (f: Freeze): Tz => (f.tz === "utc" ? "utc" : "local");

/** Create-time check with the `Active` messages, `active` replaced by `freeze`. */
export function validateFreeze(f: Freeze): string | null {
  if (f.tz !== "local" && f.tz !== "utc") {
    return `freeze.tz must be 'local' or 'utc' (got '${f.tz}')`;
  }
  return boundsError(f.from, f.until, tzOf(f), "freeze");
}

/**
 * Is the fleet frozen at `nowMs`? `value` is the decoded KV JSON (unknown shape). Fails
 * closed: a value that is not a Freeze, or a bound that does not parse, means frozen.
 */
export function isFrozen(value: unknown, nowMs: number): boolean {
  const r = FreezeSchema.safeParse(value);
  if (!r.success) return true;
  const f = r.data;
  if (f.tz !== "local" && f.tz !== "utc") return true;
  const bound = (s: string | null | undefined): number | null | "bad" => {
    if (s === null || s === undefined) return null;
    const b = parseBound(s, tzOf(f));
    return "ms" in b ? b.ms : "bad";
  };
  const from = bound(f.from);
  const until = bound(f.until);
  if (from === "bad" || until === "bad") return true;
  if (from !== null && nowMs < from) return false;
  if (until !== null && nowMs >= until) return false;
  return true;
}
