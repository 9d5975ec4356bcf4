/**
 * One simulated agent's wire behaviour (protocol.md §4.1): request_id de-dup, the pre-run
 * gates, `script_object` fetch + sha256, jitter, `events.started`, the run (run.ts), and the
 * ExecResult through the outbox (large output via `result_output`); plus the request/reply
 * answers (ping, `logs.fetch`, `job.tail`). Heartbeats, perf and self-update are parts of
 * their own that the agent owns.
 */
import type { Msg } from "@nats-io/transport-node";
import { behaviourRun } from "./behaviours.ts";
import type { BeatClock } from "./beat_clock.ts";
import type { CommandCache } from "./command_cache.ts";
import { AgentSubscriptions } from "./subscriptions.ts";
import {
  type Command,
  encodeEventStarted,
  encodeExecResult,
  encodeHeartbeat,
  type ExecResult,
} from "../wire/messages.ts";
import { OBJECT_STORE, STDOUT_INLINE_THRESHOLD, SUBJECT, subjects } from "../wire/names.ts";
import { wireTs } from "../wire/time.ts";
import { runGates, type Skip } from "./gates.ts";
import { Heartbeats } from "./heartbeat.ts";
import type { Link } from "./link.ts";
import type { SharedLookups } from "./lookups.ts";
import { Outbox } from "./outbox.ts";
import type { PublishGate } from "./publish_gate.ts";
import { PerfSampler } from "./perf.ts";
import { type AttemptOutcome, pushRun, RunCtl, type RunEnv, runWithRetries } from "./run.ts";
import { parseScript, type Program } from "./script.ts";
import { SelfUpdater } from "./self_update.ts";
import type { AgentView, FleetCounters, RunView } from "./types.ts";
import { pushCapped, sha256Hex, sleep, td, te } from "./util.ts";

const DEDUP_CAP = 1024;
const LOGS_REPLY_CAP = 800 * 1024;
const TAIL_CAP = 256 * 1024;

/** How much history each agent keeps (newest last). */
export interface HistoryCaps {
  commands: number;
  runs: number;
  results: number;
  logLines: number;
}

export const FULL_HISTORY: HistoryCaps = { commands: 200, runs: 64, results: 200, logLines: 300 };
/**
 * A few entries: what `logs.fetch` and `job.tail` need. One finished run (its output is
 * ~1.7 KiB on average; four of them were a fifth of a 100,000-agent simulator's heap, and
 * its major GCs scale with the heap), plus any run still going.
 */
export const MINIMAL_HISTORY: HistoryCaps = { commands: 4, runs: 1, results: 0, logLines: 20 };

/**
 * One kept log line, rendered (`<wireTs> <LEVEL> kanade_agent: <message>`) when `logs.fetch`
 * reads it, which most lines never are. Every run writes three; built as strings they were an
 * eighth of what a simulator allocated in an exec to all (the time, the join, the copy), and
 * their parts (the time, constant text, ids the Command and the run hold anyway) cost one
 * small object instead.
 */
export class LogLine {
  constructor(
    readonly at: number,
    readonly level: string,
    readonly msg: string,
    readonly a = "",
    readonly b = "",
    readonly c = "",
  ) {}

  toString(): string {
    return `${wireTs(this.at)} ${this.level} kanade_agent: ${this.msg}${this.a}${this.b}${this.c}`;
  }
}

/** What an agent needs from the fleet that runs it. */
export interface FleetCtx {
  readonly stopped: boolean;
  readonly rand: () => number;
  readonly failRate: number;
  readonly latencyMs: number;
  readonly agentVersion: string;
  readonly realisticOutput: boolean;
  readonly history: HistoryCaps;
  /** Decoded Commands shared by the agents of this process. */
  readonly commandCache: CommandCache;
  readonly publishGate: PublishGate;
  /** The one timer of the process's heartbeats. */
  readonly beatClock: BeatClock;
  readonly counters: FleetCounters;
  /** Wake the fleet's waiters (a command or result was counted). */
  notify(): void;
  onResult(r: ExecResult): void;
}

export class Agent implements AgentView {
  online = true;
  groups: string[] = [];
  commands: Command[] = [];
  runs: RunView[] = [];
  results: ExecResult[] = [];
  duplicates = 0;
  simulateDisconnectedMs: number | null = null;
  /** EXEC stream sequence this agent has replayed up to (its durable's ack floor). */
  ackSeq = 0;
  logLines: LogLine[] = [];
  /** The running agent version; changes when the agent updates itself to `target_version`. */
  version: string;
  readonly hb = new Heartbeats(this);
  readonly perf = new PerfSampler(this);
  readonly updater = new SelfUpdater(this);
  readonly subs = new AgentSubscriptions(this);

  get subscriptionCount(): number {
    return this.subs.count;
  }
  private readonly outbox = new Outbox(this);
  /** Runs in progress (the fleet kills them when it stops). */
  private active = new Set<RunCtl>();
  private seen = new Set<string>();
  private seenOrder: string[] = [];

  constructor(readonly pcId: string, readonly link: Link, readonly fleet: FleetCtx) {
    this.version = fleet.agentVersion;
  }

  get heartbeatIntervalMs(): number {
    return this.hb.intervalMs;
  }

  get heartbeatsSent(): number {
    return this.hb.sent;
  }

  /** The fleet stops: timers, subscriptions and runs end. */
  shutdown() {
    this.hb.stop();
    this.perf.stop();
    this.updater.stop();
    this.subs.close();
    for (const r of this.active) r.interrupt("kill");
  }

  /** A JetStream publish through the agent's outbox (ordered, retried until acked). */
  publishJs(subject: string, body: () => string | Promise<string>, onAck?: () => void) {
    this.outbox.enqueue(subject, body, onAck);
  }

  /** A message on one of the command subjects this agent subscribes to. */
  onCommandMessage(msg: Msg) {
    if (!this.online) return;
    const d = this.fleet.commandCache.decode(msg.data);
    if ("error" in d) {
      this.log("WARN", `undecodable command on ${msg.subject}: ${d.error}`);
      return;
    }
    this.handle(d.cmd, d.lookups).catch((e) => this.log("ERROR", String(e)));
  }

  /** A log line whose message is `msg` followed by `a`, `b` and `c` (see LogLine). */
  log(level: string, msg: string, a?: string, b?: string, c?: string) {
    pushCapped(
      this.logLines,
      new LogLine(Date.now(), level, msg, a, b, c),
      this.fleet.history.logLines,
    );
  }

  /** Step 1: true when the request_id is new (bounded FIFO of the last 1024). */
  private firstSight(requestId: string): boolean {
    if (this.seen.has(requestId)) return false;
    this.seen.add(requestId);
    this.seenOrder.push(requestId);
    if (this.seenOrder.length > DEDUP_CAP) this.seen.delete(this.seenOrder.shift()!);
    return true;
  }

  /** Whether a Command published on `subject` is addressed to this agent. */
  addressedBy(subject: string): boolean {
    if (subject === SUBJECT.commandsAll) return true;
    if (subject === subjects.commandsPc(this.pcId)) return true;
    if (subject.startsWith(SUBJECT.commandsGroupPrefix)) {
      return this.groups.includes(subject.slice(SUBJECT.commandsGroupPrefix.length));
    }
    return false;
  }

  /** The whole §4.1 pipeline for one Command copy. */
  async handle(cmd: Command, shared: SharedLookups): Promise<void> {
    if (!this.firstSight(cmd.request_id)) {
      this.duplicates++;
      this.fleet.counters.duplicates++;
      return;
    }
    pushCapped(this.commands, cmd, this.fleet.history.commands);
    this.fleet.counters.commands++;
    this.fleet.notify();
    this.log("INFO", "command received id=", cmd.id, " request_id=", cmd.request_id);

    const receivedAt = Date.now();
    const skip = await runGates({
      cmd,
      nowMs: receivedAt,
      disconnectedMs: this.simulateDisconnectedMs ?? this.link.disconnectedMs(),
      scriptCurrent: shared.scriptCurrent,
      scriptStatus: shared.scriptStatus,
    });
    if (skip) return this.publishSkip(cmd, skip);

    let program: Program;
    const answer = behaviourRun(this, cmd);
    if (answer) program = { kind: "fixed", ...answer };
    else {
      try {
        program = parseScript(
          cmd.script_object ? await this.resolveScript(cmd, shared) : cmd.script,
        );
      } catch (e) {
        return this.publishSkip(cmd, { exitCode: 1, stderr: (e as Error).message });
      }
    }

    if (cmd.jitter_secs && cmd.jitter_secs > 0) {
      await sleep(Math.floor(this.fleet.rand() * cmd.jitter_secs * 1000));
    }
    if (this.fleet.stopped) return;

    const view: RunView = {
      resultId: crypto.randomUUID(),
      requestId: cmd.request_id,
      execId: cmd.exec_id,
      manifestId: cmd.id,
      running: true,
      stdout: "",
      stderr: "",
      attempts: 0,
      exitCode: null,
      startedAt: wireTs(Date.now()),
      finishedAt: null,
    };
    pushRun(this.runs, view, this.fleet.history.runs);
    this.fleet.counters.running++;
    const ctl = new RunCtl(view, this);
    this.active.add(ctl);
    // Runs with an exec_id listen on kill.<exec_id> while they last (protocol.md §4.5).
    const releaseKill = cmd.exec_id
      ? this.subs.onKill(cmd.exec_id, () => ctl.interrupt("kill"))
      : null;
    if (cmd.exec_id) {
      this.outbox.enqueue(
        subjects.eventsStarted(cmd.exec_id, this.pcId),
        () =>
          JSON.stringify(encodeEventStarted({
            result_id: view.resultId,
            request_id: cmd.request_id,
            exec_id: cmd.exec_id!,
            pc_id: this.pcId,
            started_at: view.startedAt,
            manifest_id: cmd.id,
            version: cmd.version,
          })),
      );
    }
    this.log("INFO", "run started result_id=", view.resultId);

    let outcome: AttemptOutcome;
    try {
      outcome = await runWithRetries(this.runEnv(), cmd, program, ctl);
    } finally {
      releaseKill?.();
      this.active.delete(ctl);
      view.running = false;
      this.fleet.counters.running--;
    }
    view.exitCode = outcome.exitCode;
    view.finishedAt = wireTs(Date.now());
    this.log("INFO", "run finished result_id=", view.resultId, " exit=", String(outcome.exitCode));

    let stdout = outcome.stdout;
    if (cmd.emit && outcome.exitCode === 0) {
      this.publishObs(stdout);
      stdout = "";
    }
    this.publishResult({
      result_id: view.resultId,
      request_id: cmd.request_id,
      exec_id: cmd.exec_id ?? undefined,
      pc_id: this.pcId,
      exit_code: outcome.exitCode,
      stdout,
      stderr: outcome.stderr,
      started_at: view.startedAt,
      finished_at: view.finishedAt,
      manifest_id: cmd.id,
    });
  }

  private env: RunEnv | null = null;

  /** What a run needs of this agent and its fleet (fixed for the agent's life). */
  private runEnv(): RunEnv {
    const f = this.fleet;
    return this.env ??= {
      pcId: this.pcId,
      latencyMs: f.latencyMs,
      failRate: f.failRate,
      rand: f.rand,
      realisticOutput: f.realisticOutput,
    };
  }

  private async resolveScript(cmd: Command, shared: SharedLookups): Promise<string> {
    const key = cmd.script_object!;
    const bytes = await shared.scriptObject(key);
    if (!bytes) throw new Error(`script_object ${key}: not found in object store scripts`);
    const got = await sha256Hex(bytes);
    const want = (cmd.script_object_sha256 ?? "").toLowerCase();
    if (got !== want) {
      throw new Error(`script_object ${key}: sha256 mismatch (expected ${want}, got ${got})`);
    }
    return td.decode(bytes);
  }

  private publishSkip(cmd: Command, skip: Skip) {
    const now = wireTs(Date.now());
    this.log("WARN", `command skipped id=${cmd.id} exit=${skip.exitCode}: ${skip.stderr}`);
    this.publishResult({
      result_id: crypto.randomUUID(),
      request_id: cmd.request_id,
      exec_id: cmd.exec_id ?? undefined,
      pc_id: this.pcId,
      exit_code: skip.exitCode,
      stdout: "",
      stderr: skip.stderr,
      started_at: now,
      finished_at: now,
      manifest_id: cmd.id,
    });
  }

  private publishObs(stdout: string) {
    for (const line of stdout.split("\n")) {
      if (!line.trim()) continue;
      let ev: Record<string, unknown>;
      try {
        ev = JSON.parse(line);
        if (!ev || typeof ev !== "object" || Array.isArray(ev)) continue;
      } catch {
        continue;
      }
      const body = JSON.stringify({
        pc_id: this.pcId,
        at: typeof ev.at === "string" ? ev.at : wireTs(Date.now()),
        kind: ev.kind ?? "diagnostic",
        source: ev.source ?? "agent:internal",
        event_record_id: ev.event_record_id ?? null,
        payload: ev.payload ?? null,
      });
      this.outbox.enqueue(subjects.obs(this.pcId), () => body);
    }
  }

  private publishResult(r: ExecResult) {
    this.outbox.enqueue(subjects.results(r.request_id), async () => {
      let out = r;
      for (const field of ["stdout", "stderr"] as const) {
        // A UTF-8 character is at most 3 bytes per UTF-16 unit: most outputs need no encoding
        // just to learn they fit.
        if (out[field].length * 3 <= STDOUT_INLINE_THRESHOLD) continue;
        const bytes = te.encode(out[field]);
        if (bytes.length > STDOUT_INLINE_THRESHOLD) {
          if (out === r) out = { ...r }; // the history keeps the result as it was run
          const key = `${r.request_id}/${field}`;
          const os = await this.link.obj(OBJECT_STORE.resultOutput);
          if (!os) throw new Error(`object store ${OBJECT_STORE.resultOutput} missing`);
          await os.putBlob({ name: key }, bytes);
          out[field] = "";
          out[field === "stdout" ? "stdout_object" : "stderr_object"] = key;
        }
      }
      return JSON.stringify(encodeExecResult(out));
    }, () => {
      if (this.fleet.history.results > 0) pushCapped(this.results, r, this.fleet.history.results);
      this.fleet.onResult(r);
    });
  }

  // ---- request/reply

  replyPing(msg: Msg) {
    msg.respond(JSON.stringify(encodeHeartbeat(this.hb.body(false))));
  }

  replyLogs(msg: Msg) {
    let tail = 500;
    try {
      const req = JSON.parse(td.decode(msg.data));
      if (Number.isInteger(req?.tail_lines) && req.tail_lines >= 0) tail = req.tail_lines;
    } catch { /* malformed or empty body: the default */ }
    const lines = tail === 0 ? [] : this.logLines.slice(-tail);
    let text = lines.map((l) => `${l}\n`).join("");
    let bytes = te.encode(text);
    if (bytes.length > LOGS_REPLY_CAP) {
      // Trim the start on a character boundary.
      let start = bytes.length - LOGS_REPLY_CAP;
      while (start < bytes.length && (bytes[start] & 0xc0) === 0x80) start++;
      bytes = bytes.slice(start);
      text = td.decode(bytes);
    }
    msg.respond(text);
  }

  replyTail(msg: Msg) {
    let resultId = "";
    try {
      const req = JSON.parse(td.decode(msg.data));
      if (typeof req?.result_id === "string") resultId = req.result_id;
    } catch { /* malformed: not found */ }
    const run = resultId ? this.runs.find((r) => r.resultId === resultId) : undefined;
    const cut = (s: string) =>
      s.length > TAIL_CAP ? { text: s.slice(-TAIL_CAP), truncated: true } : {
        text: s,
        truncated: false,
      };
    const o = cut(run?.stdout ?? "");
    const e = cut(run?.stderr ?? "");
    msg.respond(JSON.stringify({
      found: !!run,
      running: run?.running ?? false,
      stdout: o.text,
      stderr: e.text,
      stdout_truncated: o.truncated,
      stderr_truncated: e.truncated,
    }));
  }
}
