/**
 * A minimal agent double for the exec tests: speaks the wire protocol on its own NATS
 * connection (core subscriptions on `commands.all`, `commands.pc.<id>`,
 * `commands.group.<g>`; JetStream publishes of EventStarted and ExecResult), applies the
 * version-pin (124) and revoke (126) gates of protocol.md §4.1, de-duplicates by
 * request_id, and honours `kill.<exec_id>`. It records every Command's raw bytes and the
 * `script_current` value it saw when the Command arrived, so tests can assert exact JSON
 * and ordering.
 */
import { connect, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { BUCKET, SCRIPT_STATUS_REVOKED, SUBJECT, subjects } from "../../wire/names.ts";
import {
  type Command,
  CommandSchema,
  encodeEventStarted,
  encodeExecResult,
} from "../../wire/messages.ts";
import { jsonBytes, parseJsonBytes, utf8 } from "../../wire/codec.ts";
import { nowWire } from "../../wire/time.ts";
import { startTestBackend, type TestBackend, type TestBackendOptions } from "./backend.ts";

export interface Received {
  subject: string;
  raw: string;
  cmd: Command;
  /** `script_current[cmd.id]` read as soon as the Command arrived (null = unset). */
  scriptCurrent: string | null;
  /** Whether this copy was a duplicate request_id (then it is not run). */
  duplicate: boolean;
}

export interface Outcome {
  request_id: string;
  exec_id: string | null;
  exit_code: number;
  stderr: string;
}

export interface AgentDouble {
  pcId: string;
  received: Received[];
  outcomes: Outcome[];
  /** exec ids currently running. */
  running(): string[];
  stop(): Promise<void>;
}

export interface AgentDoubleOptions {
  groups?: string[];
  /** Run time of each script; `Infinity` = until killed. */
  runMs?: number;
  exitCode?: number;
  stdout?: string;
}

interface Shared {
  nc: NatsConnection;
  js: JetStreamClient;
  current: Promise<KV>;
  status: Promise<KV>;
}

async function kvString(kv: Promise<KV>, key: string): Promise<string | null> {
  try {
    const e = await (await kv).get(key);
    return e && e.operation === "PUT" ? utf8(e.value).trim() : null;
  } catch {
    return null;
  }
}

function startOne(shared: Shared, pcId: string, opts: AgentDoubleOptions): AgentDouble {
  const { nc, js } = shared;
  const received: Received[] = [];
  const outcomes: Outcome[] = [];
  const seen = new Set<string>();
  const running = new Map<string, () => void>();
  const subs: Subscription[] = [];
  const tasks = new Set<Promise<void>>();
  const timers = new Set<ReturnType<typeof setTimeout>>();

  const publishResult = async (
    cmd: Command,
    exit: number,
    stdout: string,
    stderr: string,
    startedAt: string,
    resultId: string,
  ) => {
    const r = encodeExecResult({
      result_id: resultId,
      request_id: cmd.request_id,
      exec_id: cmd.exec_id ?? undefined,
      pc_id: pcId,
      exit_code: exit,
      stdout,
      stderr,
      started_at: startedAt,
      finished_at: nowWire(),
      manifest_id: cmd.id,
    } as never);
    await js.publish(subjects.results(cmd.request_id), jsonBytes(r));
    outcomes.push({ request_id: cmd.request_id, exec_id: cmd.exec_id, exit_code: exit, stderr });
  };

  const handle = async (cmd: Command) => {
    const resultId = crypto.randomUUID();
    const pinned = await kvString(shared.current, cmd.id);
    if (pinned !== null && pinned !== cmd.version) {
      return await publishResult(
        cmd,
        124,
        "",
        `skipped: version-pin mismatch — script_current[${cmd.id}] = ${pinned}, command brought ${cmd.version}`,
        nowWire(),
        resultId,
      );
    }
    if ((await kvString(shared.status, cmd.id)) === SCRIPT_STATUS_REVOKED) {
      return await publishResult(
        cmd,
        126,
        "",
        `skipped: command was revoked (script_status[${cmd.id}] = revoked)`,
        nowWire(),
        resultId,
      );
    }
    const startedAt = nowWire();
    let killSub: Subscription | null = null;
    let killed = false;
    let wake: () => void = () => {};
    const done = new Promise<void>((r) => (wake = r));
    if (cmd.exec_id) {
      killSub = nc.subscribe(subjects.kill(cmd.exec_id), {
        callback: () => {
          killed = true;
          wake();
        },
      });
      await nc.flush();
      running.set(cmd.exec_id, wake);
      await js.publish(
        subjects.eventsStarted(cmd.exec_id, pcId),
        jsonBytes(encodeEventStarted({
          result_id: resultId,
          request_id: cmd.request_id,
          exec_id: cmd.exec_id,
          pc_id: pcId,
          started_at: startedAt,
          manifest_id: cmd.id,
          version: cmd.version,
        })),
      );
    }
    const runMs = opts.runMs ?? 0;
    if (Number.isFinite(runMs)) {
      const t = setTimeout(() => {
        timers.delete(t);
        wake();
      }, runMs);
      timers.add(t);
    }
    await done;
    killSub?.unsubscribe();
    if (cmd.exec_id) running.delete(cmd.exec_id);
    if (killed) {
      await publishResult(
        cmd,
        -1,
        "",
        `killed by remote signal (kill.${cmd.exec_id})`,
        startedAt,
        resultId,
      );
    } else {
      await publishResult(
        cmd,
        opts.exitCode ?? 0,
        opts.stdout ?? `ran on ${pcId}\n`,
        "",
        startedAt,
        resultId,
      );
    }
  };

  const listen = (subject: string) => {
    subs.push(nc.subscribe(subject, {
      callback: (err, m) => {
        if (err) return;
        const raw = utf8(m.data);
        const task = (async () => {
          const parsed = CommandSchema.safeParse(parseJsonBytes(m.data));
          if (!parsed.success) return;
          const cmd = parsed.data;
          const duplicate = seen.has(cmd.request_id);
          seen.add(cmd.request_id);
          const scriptCurrent = await kvString(shared.current, cmd.id);
          received.push({ subject: m.subject, raw, cmd, scriptCurrent, duplicate });
          if (!duplicate) await handle(cmd);
        })().catch(() => {});
        tasks.add(task);
        task.finally(() => tasks.delete(task));
      },
    }));
  };
  listen(SUBJECT.commandsAll);
  listen(subjects.commandsPc(pcId));
  for (const g of opts.groups ?? []) listen(subjects.commandsGroup(g));

  return {
    pcId,
    received,
    outcomes,
    running: () => [...running.keys()],
    async stop() {
      for (const s of subs) s.unsubscribe();
      for (const w of running.values()) w();
      for (const t of timers) clearTimeout(t);
      await Promise.allSettled([...tasks]);
    },
  };
}

export interface AgentSet {
  agents: Record<string, AgentDouble>;
  /** Resolves once every subscription is registered at the server. */
  ready(): Promise<void>;
  stop(): Promise<void>;
}

/** Start `specs` agents on one connection to `url`. */
export async function startAgentDoubles(
  url: string,
  specs: Record<string, AgentDoubleOptions>,
): Promise<AgentSet> {
  const nc = await connect({ servers: url, name: "agent-double" });
  const js = jetstream(nc);
  const kvm = new Kvm(js);
  const shared: Shared = {
    nc,
    js,
    current: kvm.open(BUCKET.scriptCurrent, { bindOnly: true }),
    status: kvm.open(BUCKET.scriptStatus, { bindOnly: true }),
  };
  shared.current.catch(() => {});
  shared.status.catch(() => {});
  const agents: Record<string, AgentDouble> = {};
  for (const [pc, o] of Object.entries(specs)) agents[pc] = startOne(shared, pc, o);
  await nc.flush();
  return {
    agents,
    ready: () => nc.flush(),
    async stop() {
      for (const a of Object.values(agents)) await a.stop();
      await nc.drain().catch(() => nc.close());
    },
  };
}

/**
 * `fn` on a fresh test backend; `startAgents` starts agent doubles on its broker once the
 * test has stored what they need. Agents, then the backend, are stopped whatever happens.
 */
export async function withAgentDoubles(
  opts: TestBackendOptions,
  fn: (
    be: TestBackend,
    startAgents: (specs: Record<string, AgentDoubleOptions>) => Promise<AgentSet>,
  ) => Promise<void>,
): Promise<void> {
  const be = await startTestBackend(opts);
  const started: AgentSet[] = [];
  try {
    await fn(be, async (specs) => {
      started.push(await startAgentDoubles(be.broker.url, specs));
      return started[started.length - 1];
    });
  } finally {
    for (const a of started) await a.stop();
    await be.stop();
  }
}
