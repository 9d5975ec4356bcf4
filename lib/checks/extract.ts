/**
 * What one result of a `check:` job says about the check (later.md §2 "Projection"): pure
 * rules, shared by the projection and its tests.
 *
 * - exit 0: stdout is ONE JSON document; status is the string at `status_field` when it is
 *   exactly ok/warn/fail, else "unknown"; detail is the value at `detail_field` (null or ""
 *   → none, a string as-is, a number or boolean stringified, an array or object as compact
 *   JSON). Stdout that is not JSON is poison: logged by the caller, no row written.
 * - any other exit: status "unknown", detail "check script exited N" plus ": <the first
 *   200 characters of the trimmed stderr>" when there is any.
 * - a synthetic skip (exit 124–127 with the agent's `skipped:` stderr: version pin,
 *   deadline, revoke, staleness) ran no script, so it says nothing about the check and is
 *   ignored (upstream #909: projecting it flipped checks to unknown on every version bump
 *   and re-fired alerts on the way back).
 */
import {
  EXIT_SKIP_DEADLINE,
  EXIT_SKIP_REVOKED,
  EXIT_SKIP_STALENESS,
  EXIT_SKIP_VERSION_PIN,
} from "../../wire/names.ts";

export const CHECK_STATUSES = ["ok", "warn", "fail", "unknown"] as const;
export type CheckStatus = typeof CHECK_STATUSES[number];

/** The fields of a manifest's `check:` hint the projection reads (fleet checks only). */
export interface CheckHintFacts {
  name: string;
  label: string | null;
  statusField: string;
  detailField: string;
}

export interface CheckOutcome {
  status: CheckStatus;
  detail: string | null;
}

/** Why a result projects nothing: `skip` (synthetic skip) or `poison` (stdout not JSON). */
export type CheckVerdict =
  | { kind: "outcome"; outcome: CheckOutcome }
  | { kind: "skip" }
  | { kind: "poison"; reason: string };

/** How much of the stderr a failed run's detail carries (code points, as upstream). */
export const STDERR_HEAD_CHARS = 200;

const SKIP_CODES = new Set([
  EXIT_SKIP_VERSION_PIN,
  EXIT_SKIP_DEADLINE,
  EXIT_SKIP_REVOKED,
  EXIT_SKIP_STALENESS,
]);

/** A result the agent published instead of running the script (protocol.md §4.1 steps 2–5). */
export function isSyntheticSkip(exitCode: number, stderr: string): boolean {
  return SKIP_CODES.has(exitCode) && stderr.startsWith("skipped:");
}

/** The detail column for a reported value. */
export function detailText(v: unknown): string | null {
  if (v === null || v === undefined || v === "") return null;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

function statusOf(v: unknown): CheckStatus {
  return v === "ok" || v === "warn" || v === "fail" ? v : "unknown";
}

/** The first `n` code points of `s`. */
export function headChars(s: string, n: number): string {
  let out = "";
  let i = 0;
  for (const ch of s) {
    if (i++ >= n) break;
    out += ch;
  }
  return out;
}

export function failedRunDetail(exitCode: number, stderr: string): string {
  const head = headChars(stderr.trim(), STDERR_HEAD_CHARS);
  return head ? `check script exited ${exitCode}: ${head}` : `check script exited ${exitCode}`;
}

/** The verdict of one result of a check job. */
export function checkVerdict(
  hint: Pick<CheckHintFacts, "statusField" | "detailField">,
  r: { exit_code: number; stdout: string; stderr: string },
): CheckVerdict {
  if (r.exit_code !== 0) {
    if (isSyntheticSkip(r.exit_code, r.stderr)) return { kind: "skip" };
    return {
      kind: "outcome",
      outcome: { status: "unknown", detail: failedRunDetail(r.exit_code, r.stderr) },
    };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(r.stdout);
  } catch (e) {
    return { kind: "poison", reason: `check stdout is not JSON: ${(e as Error).message}` };
  }
  // A JSON document that is not an object has no fields: unknown, no detail (as upstream).
  const o = doc && typeof doc === "object" && !Array.isArray(doc)
    ? doc as Record<string, unknown>
    : {};
  const own = (k: string) => Object.hasOwn(o, k) ? o[k] : undefined;
  return {
    kind: "outcome",
    outcome: { status: statusOf(own(hint.statusField)), detail: detailText(own(hint.detailField)) },
  };
}
