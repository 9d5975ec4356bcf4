/**
 * The agent side of notifications, as a real agent does it (protocol.md §2, later.md §5):
 * the subjects one PC listens on, and the replay a PC runs when it (re)connects: one
 * throwaway consumer per subject on stream NOTIFICATIONS, deliver-all, no acks (nats-server
 * 2.9 takes one filter per consumer), every still-valid body, de-duplicated by id, with
 * expired ones dropped. Used by the notification tests; the fleet simulator reads the
 * stream once for a whole batch of agents coming online (`storedCopies`, notifications.ts).
 */
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { STREAM, SUBJECT, subjects as subj } from "../wire/names.ts";
import { type Notification, NotificationSchema } from "../wire/notifications.ts";
import { parseJsonBytes } from "../wire/codec.ts";
import { epochMs } from "../wire/time.ts";

export function inboxSubjects(pcId: string, groups: readonly string[]): string[] {
  return [
    SUBJECT.notificationsAll,
    subj.notificationsPc(pcId),
    ...[...new Set(groups)].sort().map(subj.notificationsGroup),
  ];
}

export function isExpired(n: Pick<Notification, "expires_at">, nowMs: number): boolean {
  return !!n.expires_at && epochMs(n.expires_at) <= nowMs;
}

/** One stored copy of a notification: the subject it was published on and its body. */
export interface StoredCopy {
  subject: string;
  data: Uint8Array;
}

type JsPair = { js: JetStreamClient; jsm: JetStreamManager };

/**
 * Every message of stream NOTIFICATIONS on `filter` (all of it when unset), in stream
 * order, through an ordered consumer: only what the broker's `agent` user may do (stream
 * info, consumer create, next; deploy/permissions.conf), no consumer info or delete (it is
 * ephemeral and goes away by itself). Throws when the stream does not exist.
 */
export async function storedCopies({ js, jsm }: JsPair, filter?: string): Promise<StoredCopy[]> {
  const info = await jsm.streams.info(
    STREAM.notifications,
    filter ? { subjects_filter: filter } : undefined,
  );
  const total = filter
    ? Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0)
    : info.state.messages;
  if (total === 0) return [];
  const c = await js.consumers.get(STREAM.notifications, {
    ...(filter ? { filter_subjects: filter } : {}),
    deliver_policy: DeliverPolicy.All,
  });
  const out: StoredCopy[] = [];
  for (;;) {
    const batch = await c.fetch({ max_messages: 256, expires: 2_000 });
    let got = 0;
    let left = -1;
    for await (const m of batch) {
      got++;
      left = m.info.pending;
      out.push({ subject: m.subject, data: m.data });
      if (left === 0) break;
    }
    if (left === 0 || got === 0) break;
  }
  return out;
}

/** The notification in a stored body, or null when this agent cannot read it (skipped). */
export function readNotification(data: Uint8Array): Notification | null {
  try {
    return NotificationSchema.parse(parseJsonBytes(data));
  } catch {
    return null; // upstream's agent logs and skips a body it cannot read
  }
}

/** Every still-valid notification addressed to the PC, oldest first. */
export async function replayInbox(
  nats: JsPair,
  pcId: string,
  groups: readonly string[],
  nowMs = Date.now(),
): Promise<Notification[]> {
  const byId = new Map<string, Notification>();
  for (const subject of inboxSubjects(pcId, groups)) {
    for (const copy of await storedCopies(nats, subject)) {
      const n = readNotification(copy.data);
      if (n && !isExpired(n, nowMs) && !byId.has(n.id)) byId.set(n.id, n);
    }
  }
  return [...byId.values()].sort((a, b) => epochMs(a.issued_at) - epochMs(b.issued_at));
}
