/**
 * Command execution of one simulated agent (protocol.md §4.1 steps 7–9): a run of the
 * simulated script language (script.ts) with kill, timeout and `on_failure.retry`, and the
 * stderr notes the real agent appends (#418). Pure of NATS: the agent publishes the outcome.
 */
import type { Command } from "../wire/messages.ts";
import { expand, type Program } from "./script.ts";
import { realisticSize, realisticText } from "./stdout.ts";
import type { RunView } from "./types.ts";

/** What a run needs from its agent and fleet. */
export interface RunEnv {
  pcId: string;
  latencyMs: number;
  failRate: number;
  rand: () => number;
  /** Non-simulated scripts print realistic amounts of output (stdout.ts). */
  realisticOutput: boolean;
}

/**
 * One run's kill/timeout latch; `sleep` is the only place a run waits. The timeout is a
 * deadline that bounds each sleep, not a timer of its own: a run that never waits (every
 * opaque script without `--latency`, so every run of a fleet-wide exec) cannot time out, and
 * arming and clearing a 120 s timer per run was a sixteenth of what a simulator allocated.
 */
export class RunCtl {
  killed = false;
  timedOut = false;
  /** When the attempt in progress times out (epoch ms); Infinity between attempts. */
  deadline = Infinity;
  private wakers: Set<() => void> | null = null;
  constructor(readonly view: RunView, readonly agent: { readonly online: boolean }) {}

  /** Sleep that kill and the deadline interrupt; true when it ran to the end. */
  sleep(ms: number): Promise<boolean> {
    if (this.killed || this.timedOut) return Promise.resolve(false);
    const left = this.deadline - Date.now();
    // A deadline at or before the end of the sleep ends it (a timer due at the same moment
    // as the sleep's fired first when the timeout was a timer armed before it).
    const timesOut = left <= ms;
    if (timesOut && left <= 0) {
      this.interrupt("timeout");
      return Promise.resolve(false);
    }
    const wakers = this.wakers ??= new Set();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(t);
        wakers.delete(wake);
        resolve(false);
      };
      const t = setTimeout(() => {
        wakers.delete(wake);
        if (timesOut) this.interrupt("timeout");
        resolve(!timesOut);
      }, timesOut ? left : ms);
      wakers.add(wake);
    });
  }

  interrupt(kind: "kill" | "timeout") {
    if (kind === "kill") this.killed = true;
    else this.timedOut = true;
    if (this.wakers) { for (const w of [...this.wakers]) w(); }
  }
}

export interface AttemptOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
  killed: boolean;
  timedOut: boolean;
}

/**
 * Add a run to an agent's history and keep at most `cap` runs, dropping the oldest finished
 * ones first: a run in progress is never dropped (`job.tail` must find it however many
 * commands came after it), so the history exceeds `cap` only by runs still going.
 */
export function pushRun(runs: RunView[], view: RunView, cap: number) {
  runs.push(view);
  let excess = runs.length - cap;
  for (let i = 0; excess > 0 && i < runs.length;) {
    if (runs[i].running || runs[i] === view) i++;
    else {
      runs.splice(i, 1);
      excess--;
    }
  }
}

export function joinNotes(stderr: string, note: string): string {
  if (!stderr) return note;
  return stderr.endsWith("\n") ? stderr + note : `${stderr}\n${note}`;
}

/** Attempts until success, kill, or `retry.max` retries, with the backoff between them. */
export async function runWithRetries(
  env: RunEnv,
  cmd: Command,
  program: Program,
  ctl: RunCtl,
): Promise<AttemptOutcome> {
  const maxRetries = cmd.retry?.max ?? 0;
  let retries = 0;
  let out: AttemptOutcome;
  for (;;) {
    ctl.timedOut = false;
    ctl.view.attempts++;
    ctl.view.stdout = "";
    ctl.view.stderr = "";
    out = await attempt(env, cmd, program, ctl);
    if (out.killed) break;
    if (out.exitCode === 0 && !out.timedOut) break;
    if (retries >= maxRetries) break;
    ctl.timedOut = false; // the attempt's timeout, not the backoff's: that sleep still runs
    const backoffOk = await ctl.sleep((cmd.retry?.backoff_secs ?? 0) * 1000);
    if (!backoffOk && ctl.killed) {
      out = { ...out, killed: true, exitCode: -1 };
      out.stderr = joinNotes(out.stderr, `killed by remote signal (kill.${cmd.exec_id})`);
      break;
    }
    retries++;
  }
  const s = retries === 1 ? "retry" : "retries";
  if (cmd.retry && maxRetries > 0) {
    if (out.killed && retries > 0) {
      out.stderr = joinNotes(
        out.stderr,
        `stopped by remote kill after ${retries} ${s} (#418 on_failure.retry)`,
      );
    } else if (!out.killed && out.exitCode === 0 && retries > 0) {
      out.stderr = joinNotes(
        out.stderr,
        `succeeded after ${retries} ${s} (#418 on_failure.retry)`,
      );
    } else if (!out.killed && out.exitCode !== 0) {
      out.stderr = joinNotes(
        out.stderr,
        `failed after ${retries} retries exhausted (#418 on_failure.retry)`,
      );
    }
  }
  return out;
}

/** One simulated execution; kill and timeout end it with exit −1. */
async function attempt(
  env: RunEnv,
  cmd: Command,
  program: Program,
  ctl: RunCtl,
): Promise<AttemptOutcome> {
  const v = ctl.view;
  ctl.deadline = cmd.timeout_secs > 0 ? Date.now() + cmd.timeout_secs * 1000 : Infinity;
  let exitCode = 0;
  // The result's own string of the run's output parts: publishing serializes the string it
  // is given, which makes V8 copy it into one flat string held by that string object; the
  // agent's history keeps `v.stdout` (for job.tail), a pointer to the parts (stdout.ts).
  let resultStdout: string | null = null;
  try {
    const lat = env.latencyMs;
    if (lat > 0) await ctl.sleep(Math.round(lat * (0.5 + env.rand())));
    if (program.kind === "opaque") {
      if (!ctl.killed && !ctl.timedOut) {
        const head = `simulated ${cmd.shell} run on ${env.pcId}: ${program.firstLine}\n`;
        const text = env.realisticOutput
          ? realisticText(realisticSize(env.rand(), env.rand()), env.rand)
          : "";
        v.stdout += head + text;
        resultStdout = head + text;
      }
    } else if (program.kind === "fixed") {
      if (!ctl.killed && !ctl.timedOut) {
        v.stdout += program.stdout;
        v.stderr += program.stderr;
        exitCode = program.exitCode;
      }
    } else {
      for (const op of program.ops) {
        if (ctl.killed || ctl.timedOut) break;
        if (op.op === "echo") v.stdout += expand(op.text, env.pcId) + "\n";
        else if (op.op === "echo_err") v.stderr += expand(op.text, env.pcId) + "\n";
        else if (op.op === "json") v.stdout += expand(op.text, env.pcId) + "\n";
        else if (op.op === "stdout_bytes") v.stdout += "x".repeat(op.n);
        else if (op.op === "stderr_bytes") v.stderr += "x".repeat(op.n);
        else if (op.op === "sleep") await ctl.sleep(op.ms);
        else if (op.op === "exit") {
          exitCode = op.code;
          break;
        } else if (op.op === "fail_rate" && env.rand() < op.p) {
          v.stderr += "simulated failure (fail_rate)\n";
          exitCode = 1;
          break;
        }
      }
    }
    if (
      !ctl.killed && !ctl.timedOut && exitCode === 0 && env.failRate > 0 &&
      env.rand() < env.failRate
    ) {
      v.stderr += "simulated failure (--fail-rate)\n";
      exitCode = 1;
    }
  } finally {
    ctl.deadline = Infinity; // the backoff between attempts is not part of either
  }
  let stderr = v.stderr;
  if (ctl.killed) {
    stderr = joinNotes(stderr, `killed by remote signal (kill.${cmd.exec_id})`);
    exitCode = -1;
  } else if (ctl.timedOut) {
    stderr = joinNotes(stderr, `timeout after ${cmd.timeout_secs}s`);
    exitCode = -1;
  }
  return {
    exitCode,
    stdout: resultStdout ?? v.stdout,
    stderr,
    killed: ctl.killed,
    timedOut: ctl.timedOut,
  };
}
