/**
 * RFC 3339 timestamps. Two renderings of one instant:
 * - `wireTs`: UTC `Z`, the shortest of 0/3/6/9 fraction digits that keeps every non-zero
 *   digit (chrono's AutoSi), as upstream writes on the wire and in API bodies.
 * - `dbTs`: UTC `Z` with exactly 9 fraction digits, the single canonical text stored in
 *   every database column, so lexicographic order equals time order (lesson #390).
 */
import { z } from "zod";

const RFC3339_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

/** An instant with nanosecond precision: epoch milliseconds plus the sub-millisecond rest. */
export interface Instant {
  ms: number;
  /** 0..999_999 nanoseconds below the millisecond. */
  subMsNanos: number;
}

export class TimestampError extends Error {
  constructor(value: string) {
    super(`invalid RFC 3339 timestamp '${value}'`);
    this.name = "TimestampError";
  }
}

export function parseInstant(value: string): Instant {
  const m = RFC3339_RE.exec(value.trim());
  if (!m) throw new TimestampError(value);
  const [, y, mo, d, h, mi, s, frac = "", z, sign, oh, om] = m;
  const nanos = Number(frac.padEnd(9, "0"));
  const ms0 = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
  if (
    Number.isNaN(ms0) || +mo < 1 || +mo > 12 || +d < 1 || +d > 31 || +h > 23 || +mi > 59 || +s > 60
  ) {
    throw new TimestampError(value);
  }
  // Reject day overflow (2026-02-30) which Date.UTC silently normalises.
  if (new Date(Date.UTC(+y, +mo - 1, +d)).getUTCDate() !== +d) throw new TimestampError(value);
  let offsetMin = 0;
  if (!z) offsetMin = (sign === "-" ? -1 : 1) * (+oh * 60 + +om);
  const ms = ms0 - offsetMin * 60_000 + Math.floor(nanos / 1_000_000);
  return { ms, subMsNanos: nanos % 1_000_000 };
}

export function isRfc3339(value: string): boolean {
  try {
    parseInstant(value);
    return true;
  } catch {
    return false;
  }
}

function parts(i: Instant): { base: string; nanos: number } {
  const d = new Date(i.ms);
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const base = iso.slice(0, 19);
  const nanos = d.getUTCMilliseconds() * 1_000_000 + i.subMsNanos;
  return { base, nanos };
}

function toInstant(v: string | Date | number | Instant): Instant {
  if (typeof v === "string") return parseInstant(v);
  if (typeof v === "number") return { ms: v, subMsNanos: 0 };
  if (v instanceof Date) return { ms: v.getTime(), subMsNanos: 0 };
  return v;
}

/**
 * Wire/API rendering: shortest of 0, 3, 6 or 9 fraction digits.
 *
 * Two inputs take a shortcut with the same answer as the general path (`wireTsGeneral`,
 * compared in time_test.ts): epoch milliseconds, rendered by the runtime's ISO writer, and a
 * string already in millisecond wire form (what `wireTs(Date.now())` writes), which a
 * message encoder gets back for every timestamp field: the simulator encodes two of them per
 * run of every agent, and a regex parse plus a re-render each were a tenth of what it
 * allocated in an exec to all.
 */
export function wireTs(v: string | Date | number | Instant): string {
  if (typeof v === "number") {
    const iso = new Date(v).toISOString();
    // Years 0000–9999 (24 characters); the others take the general path.
    if (iso.length === 24) return iso.endsWith(".000Z") ? iso.slice(0, 19) + "Z" : iso;
  } else if (typeof v === "string" && isMsWireForm(v)) return v;
  return wireTsGeneral(v);
}

/**
 * Whether `v` is exactly `wireTs` of a whole millisecond: `YYYY-MM-DDTHH:MM:SSZ` or
 * `YYYY-MM-DDTHH:MM:SS.mmmZ` with a non-zero fraction, years 1000–9999; any other spelling
 * takes the general path.
 */
function isMsWireForm(v: string): boolean {
  const n = v.length;
  return (n === 20 || (n === 24 && !v.endsWith(".000Z"))) && renderedMs(v) !== null;
}

const RENDERED_RE = /^[1-9]\d{3}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3}|\.\d{9})?Z$/;

/**
 * The epoch milliseconds of `v` when it is spelled as this module renders (`wireTs` of a
 * whole millisecond, `dbTs`), years 1000–9999, read by the runtime's date parser; null for
 * anything else. The parser rolls 2026-02-30 and 24:00 over to the next day where
 * `parseInstant` refuses them: only a value whose seconds render back to themselves counts.
 */
function renderedMs(v: string): number | null {
  if (!RENDERED_RE.test(v)) return null;
  const ms = Date.parse(v.length > 24 ? `${v.slice(0, 23)}Z` : v);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 19) !== v.slice(0, 19)) return null;
  return ms;
}

/** `wireTs` without its shortcuts: every input through `parseInstant` and one renderer. */
export function wireTsGeneral(v: string | Date | number | Instant): string {
  const { base, nanos } = parts(toInstant(v));
  if (nanos === 0) return `${base}Z`;
  if (nanos % 1_000_000 === 0) return `${base}.${String(nanos / 1_000_000).padStart(3, "0")}Z`;
  if (nanos % 1_000 === 0) return `${base}.${String(nanos / 1_000).padStart(6, "0")}Z`;
  return `${base}.${String(nanos).padStart(9, "0")}Z`;
}

/** Database rendering: fixed 9 fraction digits, UTC. */
export function dbTs(v: string | Date | number | Instant): string {
  const { base, nanos } = parts(toInstant(v));
  return `${base}.${String(nanos).padStart(9, "0")}Z`;
}

/** A DB (or any RFC 3339) value back to wire form; null stays null. */
export function apiTs(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return wireTs(String(v));
}

/**
 * `parseInstant(v).ms`; text this module rendered (a message's publish time as DB text, a
 * wire timestamp) is read by the runtime's parser instead (`renderedMs`), with the same
 * answers (time_test.ts): the events projector reads one per start event.
 */
export function epochMs(v: string): number {
  return renderedMs(v) ?? parseInstant(v).ms;
}

export function nowDb(): string {
  return dbTs(Date.now());
}

export function nowWire(): string {
  return wireTs(Date.now());
}

/** The `wireTs` form exactly: UTC `Z`, 0/3/6/9 fraction digits. */
const WIRE_TS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.(?:\d{3}|\d{6}|\d{9}))?Z$/;

/** A timestamp in an API body (`wireTs`), for response schemas. */
export const WireTimestampSchema = z.string().regex(
  WIRE_TS_RE,
  "must be an RFC 3339 UTC timestamp with 0, 3, 6 or 9 fraction digits",
).meta({ format: "date-time" });
