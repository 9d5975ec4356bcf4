/**
 * One agent's live subscriptions, as the real agent has them (protocol.md §2): `commands.all`,
 * `commands.pc.<id>`, `commands.group.<g>` for each of its groups, the request/reply subjects
 * `agents.<id>.ping`, `logs.fetch.<id>` and `job.tail.<id>`, `kill.<exec_id>` for each run in
 * progress, and whatever the behaviours add. Many agents share one connection, but each has
 * its own subscriptions, so the broker does the same fan-out work as for a real fleet (one
 * `commands.all` publish is one delivery per agent).
 *
 * Offline agents have no subscriptions (their connection is gone); coming back, an agent
 * subscribes again, including the kill subjects of runs that kept going meanwhile.
 */
import type { Msg } from "@nats-io/transport-node";
import { SUBJECT, subjects } from "../wire/names.ts";
import type { Agent } from "./agent.ts";
import { BEHAVIOURS } from "./behaviours.ts";
import { type LightSub, lightSubscribe } from "./light_sub.ts";

type Handler = (msg: Msg) => void;

export class AgentSubscriptions {
  private subs = new Map<string, LightSub>();
  /** exec_id → kill handlers of this agent's runs in progress. */
  private kills = new Map<string, Set<() => void>>();

  constructor(private readonly agent: Agent) {}

  /** Every subject the agent listens on now, with its handler. */
  private wanted(): Map<string, Handler> {
    const a = this.agent;
    const m = new Map<string, Handler>();
    const onCommand = (msg: Msg) => a.onCommandMessage(msg);
    m.set(SUBJECT.commandsAll, onCommand);
    m.set(subjects.commandsPc(a.pcId), onCommand);
    for (const g of a.groups) m.set(subjects.commandsGroup(g), onCommand);
    m.set(subjects.ping(a.pcId), (msg) => msg.reply && a.replyPing(msg));
    m.set(subjects.logsFetch(a.pcId), (msg) => msg.reply && a.replyLogs(msg));
    m.set(subjects.jobTail(a.pcId), (msg) => msg.reply && a.replyTail(msg));
    for (const execId of this.kills.keys()) m.set(subjects.kill(execId), this.killHandler(execId));
    for (const b of BEHAVIOURS) {
      for (const s of b.subscriptions?.(a) ?? []) m.set(s.subject, (msg) => s.onMessage(a, msg));
    }
    return m;
  }

  /** Bring the subscriptions in line with what the agent should listen on now. */
  sync() {
    if (!this.live()) return this.close();
    const want = this.wanted();
    for (const subject of [...this.subs.keys()]) if (!want.has(subject)) this.drop(subject);
    for (const [subject, handler] of want) this.add(subject, handler);
  }

  close() {
    for (const subject of [...this.subs.keys()]) this.drop(subject);
  }

  /**
   * Listen on `kill.<execId>` while a run is in progress; returns the release. Only that one
   * subject is added and removed (not a full `sync`, which rebuilds every wanted subject:
   * twice per run, for every agent of an exec to all).
   */
  onKill(execId: string, kill: () => void): () => void {
    let set = this.kills.get(execId);
    if (!set) {
      this.kills.set(execId, set = new Set());
      if (this.live()) this.add(subjects.kill(execId), this.killHandler(execId));
    }
    set.add(kill);
    return () => {
      set.delete(kill);
      if (set.size === 0 && this.kills.get(execId) === set) {
        this.kills.delete(execId);
        this.drop(subjects.kill(execId));
      }
    };
  }

  /** Subscriptions exist only while the agent is online on an open connection. */
  private live(): boolean {
    const a = this.agent;
    return a.online && !a.fleet.stopped && !a.link.nc.isClosed();
  }

  private add(subject: string, handler: Handler) {
    if (this.subs.has(subject)) return;
    const sub = lightSubscribe(this.agent.link.nc, subject, handler);
    this.subs.set(subject, sub);
  }

  private drop(subject: string) {
    const sub = this.subs.get(subject);
    if (!sub) return;
    this.subs.delete(subject);
    try {
      sub.unsubscribe();
    } catch { /* connection closed */ }
  }

  private killHandler(execId: string): Handler {
    return () => {
      for (const k of [...this.kills.get(execId) ?? []]) k();
    };
  }

  get count(): number {
    return this.subs.size;
  }
}
