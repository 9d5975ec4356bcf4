/**
 * The agent side of notifications, as a real agent does it (protocol.md §2, later.md §5):
 * the subjects one PC listens on, and the replay a PC runs when it (re)connects: one
 * throwaway consumer per subject on stream NOTIFICATIONS, deliver-all, no acks (nats-server
 * 2.9 takes one filter per consumer), every still-valid body, de-duplicated by id, with
 * expired ones dropped. Used by the notification tests and the fleet simulator.
 */
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
} from "@nats-io/jetstream";
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

/** Every still-valid notification addressed to the PC, oldest first. */
export async function replayInbox(
  { js, jsm }: { js: JetStreamClient; jsm: JetStreamManager },
  pcId: string,
  groups: readonly string[],
  nowMs = Date.now(),
): Promise<Notification[]> {
  const byId = new Map<string, Notification>();
  for (const subject of inboxSubjects(pcId, groups)) {
    const ci = await jsm.consumers.add(STREAM.notifications, {
      filter_subject: subject,
      deliver_policy: DeliverPolicy.All,
      ack_policy: AckPolicy.None,
      inactive_threshold: 30_000_000_000,
    });
    const c = await js.consumers.get(STREAM.notifications, ci.name);
    let left = ci.num_pending;
    while (left > 0) {
      const batch = await c.fetch({ max_messages: Math.min(left, 256), expires: 2_000 });
      let got = 0;
      for await (const m of batch) {
        got++;
        left = m.info.pending;
        try {
          const n = NotificationSchema.parse(parseJsonBytes(m.data));
          if (!isExpired(n, nowMs) && !byId.has(n.id)) byId.set(n.id, n);
        } catch { /* a body this agent cannot read is skipped, as upstream logs and skips */ }
      }
      if (got === 0) break;
    }
    await c.delete().catch(() => {});
  }
  return [...byId.values()].sort((a, b) => epochMs(a.issued_at) - epochMs(b.issued_at));
}
