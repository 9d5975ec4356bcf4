/**
 * Query-string building blocks shared by the read APIs (zod, so handlers only see typed
 * input): bounded limits, RFC 3339 bounds rendered as canonical DB text, regexes
 * compiled with RE2 (linear time, so a user pattern can never stall the server).
 */
import { z } from "zod";
import { RE2JS } from "re2js";
import { dbTs, isRfc3339 } from "../../wire/time.ts";
import { badRequest } from "../errors.ts";

export const MAX_PATTERN_LENGTH = 512;

/** `?x=` (empty) means "not given", as browsers send it for blank form fields. */
const blank = (v: unknown) => (v === "" ? undefined : v);

/** Whole-number text becomes a number; anything else stays text and fails `z.number()`. */
const integerText = (v: unknown) => {
  if (typeof v !== "string") return v;
  const t = v.trim();
  if (t === "") return undefined;
  return /^[+-]?\d+$/.test(t) ? Number(t) : v;
};

/** An integer query parameter in `min..max`; absent or blank → `dflt`; anything else → 400. */
export const limitParam = (dflt: number, max: number, min = 1) => {
  const rule = `must be an integer ${min}..${max}`;
  return z.preprocess(
    integerText,
    z.number({ error: rule }).int(rule).min(min, rule).max(max, rule).default(dflt),
  );
};

export const offsetParam = limitParam(0, 10_000_000, 0);

/** An RFC 3339 instant, as the canonical DB text used for every comparison. */
export const instantParam = z.preprocess(
  blank,
  z.string().refine(isRfc3339, "must be an RFC 3339 timestamp").transform((s) => dbTs(s))
    .optional(),
);

/** Empty means "no filter". */
export const optText = z.string().optional().transform((
  v,
) => (v === undefined || v === "" ? undefined : v));

/** A comma-separated list (`a,b`): trimmed, blanks dropped; empty means "no filter". */
export const csvParam = optText.transform((v) => {
  const list = v?.split(",").map((s) => s.trim()).filter(Boolean);
  return list?.length ? list : undefined;
}).meta({ description: "comma-separated list" });

/** A yes/no switch: true|false|1|0|yes|no (any case); absent → false. */
export const flagParam = z.preprocess(
  (v) => (typeof v === "string" ? v.trim().toLowerCase() || undefined : v),
  z.enum(["true", "false", "1", "0", "yes", "no"], {
    error: "must be true or false (also 1/0, yes/no)",
  }).default("false"),
).transform((v) => v === "true" || v === "1" || v === "yes");

export interface Matcher {
  test(s: string): boolean;
}

/** Compile a user regex with RE2 semantics; 400 with the parser's message when invalid. */
export function compileRegex(name: string, pattern: string | undefined): Matcher | null {
  if (pattern === undefined || pattern === "") return null;
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw badRequest(`invalid regex for '${name}': longer than ${MAX_PATTERN_LENGTH} characters`);
  }
  try {
    const re = RE2JS.compile(pattern);
    return { test: (s) => re.test(s) };
  } catch (e) {
    throw badRequest(`invalid regex for '${name}' \`${pattern}\`: ${(e as Error).message}`);
  }
}

/** Escape `%`, `_` and `\` for `LIKE ? ESCAPE '\'`. */
export function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export const likeContains = (s: string) => `%${likeEscape(s)}%`;

/** JSON text from the DB back to a value; invalid or NULL → null. */
export function parseJsonColumn(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  try {
    return JSON.parse(String(v));
  } catch {
    return null;
  }
}

/** `true`/`false` (also `1`/`0`); blank means the default; anything else is a 400. */
export const boolParam = (dflt: boolean) =>
  z.preprocess(
    blank,
    z.enum(["true", "false", "1", "0"], { error: "must be true or false" }).optional()
      .transform((v) => v === undefined ? dflt : v === "true" || v === "1"),
  );
