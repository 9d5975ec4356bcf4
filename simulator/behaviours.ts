/**
 * Extension point: simulator behaviours beyond the core agent protocol (check answers,
 * notification acknowledgements, ...). A behaviour is a small module of its own, listed in
 * `BEHAVIOURS` below; the simulator then
 *
 * - subscribes each online agent to the subjects `subscriptions(agent)` returns (re-asked
 *   when its groups change and when it comes back online, like the real agent's live
 *   subscriptions) and hands every message to `onMessage`;
 * - asks `run(agent, cmd)` for each Command that passed the gates: a non-null answer is the
 *   run's output instead of the script interpreter's (kill, timeout and retries still apply);
 * - tells `online(agents, nats)` about agents that came online (fleet start, back from
 *   offline, a reconnect), in batches, after they are subscribed again: the place to catch
 *   up on what they missed, as the real agent does when it connects;
 * - adds `stats()` (flat counters, summed over processes) to the CLI's `fleet: {json}` line;
 * - accepts the behaviour's `flags` on the CLI (`--flag value`, listed by `--help`) and hands
 *   their values to `configure` once per process.
 *
 * To publish, use `agent.publishJs(subject, body)` (ordered, retried like the agent's
 * outbox) or `agent.link.nc.publish` for core messages.
 */
import type { Msg } from "@nats-io/transport-node";
import type { Command } from "../wire/messages.ts";
import type { Nats } from "../lib/nats.ts";
import type { Agent } from "./agent.ts";
import { checksBehaviour } from "./checks.ts";
import { notificationsBehaviour } from "./notifications.ts";

export interface BehaviourSubscription {
  subject: string;
  onMessage(agent: Agent, msg: Msg): void;
}

export interface RunOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface Behaviour {
  /** Short name (shown by `--help`). */
  name: string;
  /** CLI flags this behaviour reads; each takes one value. */
  flags?: { flag: string; value: string; help: string }[];
  /** Called once per process with the values of its flags that were given. */
  configure?(values: ReadonlyMap<string, string>): void;
  /** Subjects this agent listens on besides the built-in ones. */
  subscriptions?(agent: Agent): BehaviourSubscription[];
  /** The output of a run of `cmd`, or null when this behaviour does not answer it. */
  run?(agent: Agent, cmd: Command): RunOutput | null;
  /** Counters for the CLI's stats line (numbers only; a multi-process fleet sums them). */
  stats?(): Record<string, number>;
  /** Agents that came online, subscribed again; resolves once they have caught up. */
  online?(agents: readonly Agent[], nats: Nats): Promise<void>;
}

/** The behaviours every simulated agent has. Add yours here. */
export const BEHAVIOURS: Behaviour[] = [checksBehaviour, notificationsBehaviour];

/** Every behaviour's counters, for the stats line. */
export function behaviourStats(): Record<string, number> {
  return Object.assign({}, ...BEHAVIOURS.map((b) => b.stats?.() ?? {}));
}

/** Every behaviour's catch-up for agents that came online (errors are the caller's to log). */
export async function behavioursOnline(agents: readonly Agent[], nats: Nats): Promise<void> {
  for (const b of BEHAVIOURS) await b.online?.(agents, nats);
}

/** The first behaviour's answer for a run, or null. */
export function behaviourRun(agent: Agent, cmd: Command): RunOutput | null {
  for (const b of BEHAVIOURS) {
    const out = b.run?.(agent, cmd);
    if (out) return out;
  }
  return null;
}
