/**
 * The simulated agents' script language (pure: parse only; fleet.ts runs it).
 *
 * A script is "simulated" when every non-empty line is a comment (`#`) or one of:
 *
 * | line                     | effect                                                       |
 * |--------------------------|--------------------------------------------------------------|
 * | `echo <text>`            | `<text>\n` to stdout (`{{pc_id}}` is replaced)               |
 * | `echo_err <text>`        | `<text>\n` to stderr                                          |
 * | `sleep <ms or humantime>`| wait (`250` = 250 ms, `2s`, `1m`); kill and timeout interrupt |
 * | `exit <n>`               | stop with exit code n (i32)                                   |
 * | `stdout_bytes <n>`       | n bytes of `x` to stdout (> 256 KiB goes via `result_output`) |
 * | `stderr_bytes <n>`       | n bytes of `x` to stderr                                      |
 * | `json {..}`              | one JSON line to stdout (inventory output; `{{pc_id}}` works) |
 * | `fail_rate <p>`          | with probability p stop here with exit 1 (`simulated failure`)|
 *
 * Anything else (real PowerShell / cmd text) is not simulated: the run prints one line
 * `simulated <shell> run on <pc>: <first line>` and exits 0, so real job manifests work.
 */
import { durationError, parseDurationMs } from "../wire/duration.ts";

export type Op =
  | { op: "echo"; text: string }
  | { op: "echo_err"; text: string }
  | { op: "sleep"; ms: number }
  | { op: "exit"; code: number }
  | { op: "stdout_bytes"; n: number }
  | { op: "stderr_bytes"; n: number }
  | { op: "json"; text: string }
  | { op: "fail_rate"; p: number };

export type Program =
  | { readonly kind: "sim"; readonly ops: readonly Op[] }
  | { readonly kind: "opaque"; readonly firstLine: string }
  /** A behaviour's answer (behaviours.ts): this output and exit code. */
  | { kind: "fixed"; stdout: string; stderr: string; exitCode: number };

/** Sizes above this are refused (a typo must not make the simulator allocate gigabytes). */
export const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

function parseLine(line: string): Op | null {
  const m = /^(\S+)(?:\s+(.*))?$/.exec(line);
  if (!m) return null;
  const [, word, restRaw] = m;
  const rest = (restRaw ?? "").trim();
  switch (word) {
    case "echo":
      return { op: "echo", text: restRaw ?? "" };
    case "echo_err":
      return { op: "echo_err", text: restRaw ?? "" };
    case "sleep": {
      if (/^\d+$/.test(rest)) return { op: "sleep", ms: Number(rest) };
      if (rest && durationError(rest) === null) return { op: "sleep", ms: parseDurationMs(rest) };
      return null;
    }
    case "exit": {
      if (!/^-?\d+$/.test(rest)) return null;
      const code = Number(rest);
      return code >= -(2 ** 31) && code < 2 ** 31 ? { op: "exit", code } : null;
    }
    case "stdout_bytes":
    case "stderr_bytes": {
      if (!/^\d+$/.test(rest)) return null;
      const n = Number(rest);
      return n <= MAX_OUTPUT_BYTES ? { op: word, n } : null;
    }
    case "json": {
      try {
        JSON.parse(rest.replaceAll("{{pc_id}}", "x"));
      } catch {
        return null;
      }
      return { op: "json", text: rest };
    }
    case "fail_rate": {
      const p = Number(rest);
      return rest !== "" && p >= 0 && p <= 1 ? { op: "fail_rate", p } : null;
    }
    default:
      return null;
  }
}

/** Scripts parsed lately (a few distinct ones are in flight at once). */
const parsed = new Map<string, Program>();
const PARSED_CAP = 32;

/**
 * The script as a program. Every agent reached by one fan-out runs the same script, so the
 * program is parsed once and shared (it is read-only): 25,000 parses of one script were 3 %
 * of what a simulator process allocated in an exec to all.
 */
export function parseScript(script: string): Program {
  let p = parsed.get(script);
  if (!p) {
    p = parseFresh(script);
    if (parsed.size >= PARSED_CAP) parsed.delete(parsed.keys().next().value!);
    parsed.set(script, p);
  }
  return p;
}

/** Parse a script body; a single line outside the language makes it opaque. */
function parseFresh(script: string): Program {
  const lines = script.split(/\r?\n/);
  const ops: Op[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const op = parseLine(line);
    if (!op) return { kind: "opaque", firstLine: firstLine(script) };
    ops.push(op);
  }
  if (ops.length === 0) return { kind: "opaque", firstLine: firstLine(script) };
  return { kind: "sim", ops };
}

function firstLine(script: string): string {
  return script.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== "") ?? "";
}

/** Placeholder substitution for `echo` and `json` lines. */
export function expand(text: string, pcId: string): string {
  return text.replaceAll("{{pc_id}}", pcId);
}

/** Sum of all sleeps: how long a run takes without kill/timeout (for tests and docs). */
export function plannedSleepMs(p: Program): number {
  return p.kind === "sim" ? p.ops.reduce((s, o) => s + (o.op === "sleep" ? o.ms : 0), 0) : 0;
}
