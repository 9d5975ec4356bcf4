/**
 * Simulator behaviour: end-user notifications as an agent's Client App shows them. Each
 * online agent listens on `notifications.all`, `notifications.pc.<own id>`, one
 * `notifications.group.<g>` per group, and the fleet-wide recall channel `notif-amend`. A
 * notification that has not expired is shown (kept in the agent's inbox, once per id however
 * many of its subjects carried it); the user of a configurable share of agents acknowledges
 * it after a delay, and the agent publishes `events.notifications.acked.<pc>.<sid>.<id>`
 * through its outbox (JetStream, retried until acked), as the real agent does. A recall
 * takes it off the inbox; an acknowledgement still pending is then never sent.
 *
 * An agent that comes online (fleet start, back from offline, a reconnect) catches up as the
 * real agent does when it connects: every copy stream NOTIFICATIONS still holds for its
 * subjects is shown unless it has expired (a recalled one is no longer in the stream). The
 * real agent reads the stream per PC; the simulator reads it once for each batch of agents
 * that come online together, so a 100,000-agent start costs one pass, not 400,000 consumers.
 */
import type { Msg } from "@nats-io/transport-node";
import { SUBJECT, subjects as subj } from "../wire/names.ts";
import type { Notification } from "../wire/notifications.ts";
import { parseJsonBytes } from "../wire/codec.ts";
import { wireTs } from "../wire/time.ts";
import type { Nats } from "../lib/nats.ts";
import { fnv, keyedDraw, shareValue, td } from "./util.ts";
import { inboxSubjects, isExpired, readNotification, storedCopies } from "./notification_inbox.ts";

/** What this behaviour needs of a simulated agent (the simulator's Agent has it). */
export interface NotifyAgent {
  readonly pcId: string;
  readonly groups: readonly string[];
  publishJs(subject: string, body: () => string): void;
}

export interface NotifySettings {
  /** Share of agents (0..1) whose user acknowledges each notification. */
  ackShare: number;
  /** Time from showing a notification to its acknowledgement. */
  ackDelayMs: number;
}

export const notifySettings: NotifySettings = { ackShare: 1, ackDelayMs: 200 };
export const notifyStats = { shown: 0, acked: 0, recalled: 0, skippedExpired: 0 };

const inboxes = new WeakMap<NotifyAgent, Map<string, Notification>>();

/** The notifications an agent shows now (not recalled), oldest first. */
export function shownBy(agent: NotifyAgent): Notification[] {
  return [...(inboxes.get(agent)?.values() ?? [])];
}

/** Whether the user at `pcId` acknowledges `id`: the same answer on every run. */
export function acksIt(pcId: string, id: string, share: number): boolean {
  if (share >= 1) return true;
  if (share <= 0) return false;
  return keyedDraw(`${pcId}/${id}`) < share;
}

/** The Windows SID of the PC's simulated user. */
export function userSid(pcId: string): string {
  return `S-1-5-21-${fnv(pcId)}-${fnv(`${pcId}#`) % 100000}-1001`;
}

/**
 * One parse per distinct body: a `notifications.all` copy reaches every agent of the
 * process with the same bytes, and the agents' inboxes then share one object.
 */
const parsedBodies = new Map<string, Notification | null>();
const PARSED_CAP = 256;

function readShared(data: Uint8Array): Notification | null {
  const key = td.decode(data);
  if (parsedBodies.has(key)) return parsedBodies.get(key)!;
  const n = readNotification(data);
  parsedBodies.set(key, n);
  if (parsedBodies.size > PARSED_CAP) parsedBodies.delete(parsedBodies.keys().next().value!);
  return n;
}

export function onNotification(agent: NotifyAgent, data: Uint8Array, now = Date.now()): void {
  const n = readShared(data);
  if (n) show(agent, n, now);
}

/** Show `n` (once per id, not when expired); the user may acknowledge it later. */
function show(agent: NotifyAgent, n: Notification, now: number): void {
  if (isExpired(n, now)) {
    notifyStats.skippedExpired++;
    return;
  }
  let box = inboxes.get(agent);
  if (!box) inboxes.set(agent, box = new Map());
  if (box.has(n.id)) return; // the same notification on another of its subjects
  // Expired ones leave the screen, so a long run's inboxes do not grow without bound.
  for (const [id, old] of box) if (isExpired(old, now)) box.delete(id);
  box.set(n.id, n);
  notifyStats.shown++;
  if (!acksIt(agent.pcId, n.id, notifySettings.ackShare)) return;
  setTimeout(() => {
    if (!box.has(n.id)) return; // recalled meanwhile
    const sid = userSid(agent.pcId);
    agent.publishJs(subj.eventsNotificationsAcked(agent.pcId, sid, n.id), () =>
      JSON.stringify({
        notification_id: n.id,
        pc_id: agent.pcId,
        user_sid: sid,
        acked_at: wireTs(Date.now()),
        account: `SIM\\user-${agent.pcId}`,
      }));
    notifyStats.acked++;
  }, notifySettings.ackDelayMs);
}

/**
 * Agents that came online: show what stream NOTIFICATIONS still holds for each (one read
 * for the batch). A broker without the stream has nothing to show.
 */
export async function catchUp(
  agents: readonly NotifyAgent[],
  nats: Pick<Nats, "js" | "jsm">,
  now = Date.now(),
): Promise<void> {
  if (agents.length === 0) return;
  const copies = await storedCopies(nats).catch(() => []);
  const parsed = copies.map((c) => ({ subject: c.subject, n: readShared(c.data) }));
  for (const a of agents) {
    const mine = new Set(inboxSubjects(a.pcId, a.groups));
    for (const c of parsed) if (c.n && mine.has(c.subject)) show(a, c.n, now);
  }
}

/** `notif-amend` (`{"id", "op": {"kind": "recall"}}`): the notification leaves the inbox. */
export function onAmend(agent: NotifyAgent, data: Uint8Array): void {
  let a: { id?: unknown; op?: { kind?: unknown } };
  try {
    a = parseJsonBytes(data) as typeof a;
  } catch {
    return;
  }
  if (a?.op?.kind !== "recall" || typeof a.id !== "string") return;
  if (inboxes.get(agent)?.delete(a.id)) notifyStats.recalled++;
}

/** `--notify-ack-share` / `--notify-ack-delay-ms`; a bad value names the flag. */
export function configureNotify(values: ReadonlyMap<string, string>): void {
  const share = values.get("--notify-ack-share");
  if (share !== undefined) notifySettings.ackShare = shareValue("--notify-ack-share", share);
  const delay = values.get("--notify-ack-delay-ms");
  if (delay !== undefined) {
    const v = Number(delay);
    if (!Number.isInteger(v) || v < 0) {
      throw new Error(`--notify-ack-delay-ms: must be a non-negative integer, got ${delay}`);
    }
    notifySettings.ackDelayMs = v;
  }
}

/** The behaviour as the simulator's extension point takes it (behaviours.ts). */
export const notificationsBehaviour = {
  name: "notifications",
  flags: [
    {
      flag: "--notify-ack-share",
      value: "0..1",
      help: "share of agents whose user acknowledges each notification (default 1)",
    },
    {
      flag: "--notify-ack-delay-ms",
      value: "ms",
      help: "delay from showing a notification to its acknowledgement (default 200)",
    },
  ],
  configure: configureNotify,
  stats: () => ({
    notify_shown: notifyStats.shown,
    notify_acked: notifyStats.acked,
    notify_recalled: notifyStats.recalled,
    notify_skipped_expired: notifyStats.skippedExpired,
  }),
  online: (agents: readonly NotifyAgent[], nats: Pick<Nats, "js" | "jsm">) => catchUp(agents, nats),
  subscriptions: (agent: NotifyAgent) => [
    ...inboxSubjects(agent.pcId, agent.groups).map((subject) => ({
      subject,
      onMessage: (a: NotifyAgent, m: Msg) => onNotification(a, m.data),
    })),
    {
      subject: SUBJECT.notificationsAmend,
      onMessage: (a: NotifyAgent, m: Msg) => onAmend(a, m.data),
    },
  ],
};
