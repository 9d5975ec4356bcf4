/**
 * The simulator's public shapes: what a test, bench or CLI passes to `startFleet` and what it
 * can observe of the running fleet. Kept apart so every behaviour module can import them
 * without importing the orchestration.
 */
import type { Command, ExecResult } from "../wire/messages.ts";

export interface FleetOptions {
  natsUrl: string;
  /** A count (ids `<prefix><0001..>`) or explicit pc ids. */
  agents: number | string[];
  prefix?: string;
  /** Initial groups per agent; authoritative only until KV `agent_groups` has an entry. */
  groups?: Record<string, string[]> | ((pcId: string, i: number) => string[]);
  /** Also write `groups` into KV `agent_groups` (the backend/API does this in real life). */
  writeGroups?: boolean;
  /** Probability that a run that would exit 0 exits 1 instead. */
  failRate?: number;
  /** Extra run time per attempt, uniformly 0.5×..1.5× this value. */
  latencyMs?: number;
  /** Fixed heartbeat interval; when unset the interval comes from KV `agent_config`. */
  heartbeatIntervalMs?: number;
  /** Shared NATS connections (default 4, never more than the agent count). */
  connections?: number;
  /** Most JetStream publishes awaiting their ack at once in this process (0/unset: no cap). */
  maxInflight?: number;
  agentVersion?: string;
  /** Seed of the simulator's PRNG (jitter, fail rate, perf numbers). */
  seed?: number;
  /** Replay commands already in EXEC when the fleet starts (a brand-new real agent does). */
  replayOnStart?: boolean;
  /** Publish `host_perf` / `process_perf` samples per the effective config (default true). */
  perf?: boolean;
  /** Follow `target_version` from KV `agent_config` like the real agent (default true). */
  selfUpdate?: boolean;
  /** Start with these agents offline. */
  offline?: string[];
  /**
   * Spread of the first heartbeats after start (default: 0 for up to 50 agents, else up to
   * 1 s); a large fleet spreads its boot beats so the backend is not hit by all at once.
   */
  bootSpreadMs?: number;
  /**
   * Scripts the simulator does not interpret print realistic amounts of output (stdout.ts)
   * after their one `simulated ...` line, instead of that line alone (default false).
   */
  realisticOutput?: boolean;
  /**
   * How much per-agent history to keep for `agent(pc)`: `full` (default; tests look at
   * it) or `minimal` (a few entries, for 100,000-agent runs where it would cost gigabytes).
   */
  history?: "full" | "minimal";
  /** Keep every acked result for `results()` (default true; a CLI fleet does not). */
  keepResults?: boolean;
  /** Wait for the JetStream resources the agents need instead of failing (default false). */
  waitForResources?: boolean;
  /** Create the JetStream resources when missing (like `kanade jetstream setup`). */
  setup?: boolean;
  natsToken?: string;
  natsUser?: string;
  natsPassword?: string;
  log?: (msg: string) => void;
}

export interface RunView {
  resultId: string;
  requestId: string;
  execId: string | null;
  manifestId: string;
  running: boolean;
  stdout: string;
  stderr: string;
  attempts: number;
  exitCode: number | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface AgentView {
  pcId: string;
  /** Running agent version (follows `target_version` when self-update is on). */
  version: string;
  online: boolean;
  groups: string[];
  heartbeatIntervalMs: number;
  heartbeatsSent: number;
  /** Commands handed to the agent after de-dup (newest last, last 200 kept). */
  commands: Command[];
  /** Runs (newest last, last 64 kept). */
  runs: RunView[];
  /** Results published and acked (newest last, last 200 kept). */
  results: ExecResult[];
  /** Commands dropped as duplicates. */
  duplicates: number;
  /** Live subscriptions (the real agent's subjects plus `kill.<exec_id>` per run in progress). */
  readonly subscriptionCount: number;
  /** Test hook: pretend the broker has been out of reach this long (staleness gate). */
  simulateDisconnectedMs: number | null;
}

/** Running totals since the fleet started. */
export interface FleetCounters {
  heartbeats: number;
  commands: number;
  duplicates: number;
  results: number;
  running: number;
  publishRetries: number;
  selfUpdates: number;
}

export interface FleetStats extends FleetCounters {
  agents: number;
  online: number;
  /** Publishes waiting for a slot of the in-flight cap now. */
  publish_queued: number;
}

export interface Fleet {
  pcIds: string[];
  agent(pcId: string): AgentView;
  setOnline(pcId: string, online: boolean): void;
  /** Resolves once `n` commands in total were handed to agents (after de-dup). */
  waitForCommands(n: number, timeoutMs?: number): Promise<void>;
  /** Resolves once `n` results in total were acked by JetStream. */
  waitForResults(n: number, timeoutMs?: number): Promise<void>;
  /** Every acked result, in publish order. */
  results(): ExecResult[];
  stats(): FleetStats;
  /** Resolves once the broker has processed every subscription change made so far. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}
