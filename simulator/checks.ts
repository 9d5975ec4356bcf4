/**
 * Simulator behaviour: compliance checks (later.md §2). A Command whose manifest carries a
 * `check:` hint is answered the way a check script answers: one JSON document on stdout with
 * the status at the hint's `status_field` (ok / warn / fail) and a detail at its
 * `detail_field`, exit 0 — or, for the `unknown` share, a script error (exit 1 with a stderr
 * line), which the projection records as unknown with "check script exited 1: ...".
 *
 * Which status a PC reports is drawn from the configured mix (`--check-mix
 * ok=80,warn=10,fail=10[,unknown=N]`, weights) by a hash of PC id and check name, so repeated
 * runs agree and every process of a split fleet draws the same. A share of PCs
 * (`--check-flip p`) alternates between that status and another one on every run of the
 * check (ok ↔ fail, anything else ↔ ok), so the compliance views see transitions.
 *
 * A check job whose script is written in the simulator's own language (script.ts) runs as
 * written instead, so a test can pin one PC's exact output.
 */
import type { Command } from "../wire/messages.ts";
import { parseScript } from "./script.ts";
import { keyedDraw as draw, shareValue } from "./util.ts";

export const MIX_STATUSES = ["ok", "warn", "fail", "unknown"] as const;
export type MixStatus = typeof MIX_STATUSES[number];
/** Weights per status (any non-negative numbers, not all zero). */
export type CheckMix = Record<MixStatus, number>;

export interface CheckSettings {
  mix: CheckMix;
  /** Share of PCs (0..1) whose status alternates on every run. */
  flip: number;
}

export const DEFAULT_MIX: CheckMix = { ok: 80, warn: 10, fail: 10, unknown: 0 };
export const checkSettings: CheckSettings = { mix: { ...DEFAULT_MIX }, flip: 0 };

/** The status `pcId` reports for check `name` on every run (unless it flips). */
export function baseStatus(pcId: string, name: string, mix: CheckMix): MixStatus {
  const total = MIX_STATUSES.reduce((s, k) => s + mix[k], 0);
  let x = draw(`${pcId}/${name}`) * total;
  for (const k of MIX_STATUSES) {
    if (x < mix[k]) return k;
    x -= mix[k];
  }
  // Rounding at the top end: the last status with any weight.
  return [...MIX_STATUSES].reverse().find((k) => mix[k] > 0)!;
}

/** Whether `pcId` alternates on check `name`. */
export function flips(pcId: string, name: string, share: number): boolean {
  if (share <= 0) return false;
  if (share >= 1) return true;
  return draw(`${pcId}/${name}#flip`) < share;
}

/** The other status a flipping PC alternates with. */
export function flipped(s: MixStatus): MixStatus {
  return s === "ok" ? "fail" : "ok";
}

/**
 * The status of run number `run` (0 = the first this agent makes of the check): the base
 * status, or for a flipping PC the base on even runs and its alternate on odd ones.
 */
export function statusOfRun(
  pcId: string,
  name: string,
  run: number,
  s: CheckSettings = checkSettings,
): MixStatus {
  const base = baseStatus(pcId, name, s.mix);
  return flips(pcId, name, s.flip) && run % 2 === 1 ? flipped(base) : base;
}

const DETAIL: Record<Exclude<MixStatus, "unknown">, (pc: string, what: string) => string> = {
  ok: (_pc, what) => `${what}: compliant`,
  warn: (pc, what) => `${what}: needs attention on ${pc} (simulated)`,
  fail: (pc, what) => `${what}: not compliant on ${pc} (simulated)`,
};

/** Check runs answered, by status (the stats line's `check_<status>`). */
export const checkStats: Record<MixStatus, number> = { ok: 0, warn: 0, fail: 0, unknown: 0 };

/** Runs per (agent, check) so far: the flip counter. */
const runs = new WeakMap<object, Map<string, number>>();

/** The output of a run of a check job, or null when `cmd` is not one the mix answers. */
export function answerCheck(agent: { readonly pcId: string }, cmd: Command) {
  const hint = cmd.check;
  if (!hint || !hint.name) return null;
  if (cmd.script && parseScript(cmd.script).kind === "sim") return null;
  let mine = runs.get(agent);
  if (!mine) runs.set(agent, mine = new Map());
  const n = mine.get(hint.name) ?? 0;
  mine.set(hint.name, n + 1);
  const status = statusOfRun(agent.pcId, hint.name, n);
  checkStats[status]++;
  const what = hint.label?.trim() || hint.name;
  if (status === "unknown") {
    return {
      stdout: "",
      stderr: `${what}: simulated check error on ${agent.pcId}\n`,
      exitCode: 1,
    };
  }
  const doc = {
    [hint.status_field]: status,
    [hint.detail_field]: DETAIL[status](agent.pcId, what),
  };
  return { stdout: JSON.stringify(doc) + "\n", stderr: "", exitCode: 0 };
}

/** `ok=80,warn=10,fail=10[,unknown=5]`: every named status once, weights ≥ 0, not all 0. */
export function parseMix(text: string): CheckMix {
  const mix: CheckMix = { ok: 0, warn: 0, fail: 0, unknown: 0 };
  const seen = new Set<string>();
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z]+)=(\d+(?:\.\d+)?)$/.exec(part);
    if (!m || !(MIX_STATUSES as readonly string[]).includes(m[1])) {
      throw new Error(
        `--check-mix: '${part}' is not <status>=<weight> with status ok, warn, fail or unknown`,
      );
    }
    if (seen.has(m[1])) throw new Error(`--check-mix: ${m[1]} given twice`);
    seen.add(m[1]);
    mix[m[1] as MixStatus] = Number(m[2]);
  }
  if (MIX_STATUSES.every((k) => mix[k] === 0)) {
    throw new Error(`--check-mix: needs at least one weight above 0, got '${text}'`);
  }
  return mix;
}

/** `--check-mix` / `--check-flip`; a bad value names the flag. */
export function configureChecks(values: ReadonlyMap<string, string>): void {
  const mix = values.get("--check-mix");
  if (mix !== undefined) checkSettings.mix = parseMix(mix);
  const flip = values.get("--check-flip");
  if (flip !== undefined) checkSettings.flip = shareValue("--check-flip", flip);
}

/** The behaviour as the simulator's extension point takes it (behaviours.ts). */
export const checksBehaviour = {
  name: "checks",
  flags: [
    {
      flag: "--check-mix",
      value: "ok=80,warn=10,fail=10",
      help: "weights of the statuses check jobs report (also unknown=N: the script fails); " +
        "fixed per PC and check",
    },
    {
      flag: "--check-flip",
      value: "0..1",
      help: "share of PCs whose check status alternates on every run (default 0)",
    },
  ],
  configure: configureChecks,
  run: answerCheck,
  stats: () => ({
    check_ok: checkStats.ok,
    check_warn: checkStats.warn,
    check_fail: checkStats.fail,
    check_unknown: checkStats.unknown,
  }),
};
