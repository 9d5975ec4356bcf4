/**
 * `POST /api/notifications` (later.md §5): validate with upstream's rules, mint the id and
 * `issued_at`, publish the Notification body with a JetStream ack to every subject of the
 * target (stream NOTIFICATIONS keeps them for agents that are offline now), then append
 * the `sent` ledger record that the history projects. 502 when every publish fails.
 *
 * A send is either recorded or withdrawn: when the ledger record cannot be written, the
 * copies already out are deleted again and connected agents are told to drop it.
 */
import { z } from "zod";
import type { Deps } from "../deps.ts";
import type { Caller } from "../auth.ts";
import { badGateway, badRequest, conflict } from "../errors.ts";
import { recordAudit } from "../audit.ts";
import { isBrokerUnavailable } from "../nats.ts";
import { retryWhile } from "../../util/retry.ts";
import { subjects as subj } from "../../wire/names.ts";
import {
  type Copy,
  encodeNotification,
  type LedgerSent,
  type PublishNotification,
} from "../../wire/notifications.ts";
import { jsonBytes } from "../../wire/codec.ts";
import {
  buildNotification,
  normalizeTarget,
  notificationId,
  notificationSubjects,
  publishProblem,
} from "./plan.ts";
import { deleteCopies, publishRecallAmend, readSent } from "./withdraw.ts";

export const PublishResponseSchema = z.object({ id: z.string(), subjects: z.array(z.string()) });
export type PublishResponse = z.infer<typeof PublishResponseSchema>;

export async function publishNotification(
  deps: Deps,
  req: PublishNotification,
  caller?: Caller | null,
  opts: { now?: number; mintId?: () => string } = {},
): Promise<PublishResponse> {
  const now = opts.now ?? Date.now();
  const problem = publishProblem(req, now);
  if (problem) throw badRequest(problem);
  const id = notificationId(req, opts.mintId ?? (() => crypto.randomUUID()));
  // An operator-chosen id names one notification: a second send would merge two histories.
  if (req.id?.trim() && await readSent(deps, id)) {
    throw conflict(`notification ${id} already exists; recall it or choose another id`);
  }
  const notification = buildNotification(req, id, now);
  const body = jsonBytes(encodeNotification(notification));

  const copies: Copy[] = [];
  const failed: string[] = [];
  for (const subject of notificationSubjects(req.target)) {
    try {
      const ack = await deps.nats.js.publish(subject, body);
      copies.push({ subject, seq: ack.seq });
    } catch (e) {
      deps.log.warn("notification publish failed", { notification_id: id, subject, err: e });
      failed.push(subject);
    }
  }
  if (copies.length === 0) {
    throw badGateway(`all notification publishes failed for subjects: ${failed.join(", ")}`);
  }

  const record: LedgerSent = {
    kind: "sent",
    notification,
    target: normalizeTarget(req.target),
    copies,
    failed_subjects: failed,
    sent_by: caller?.sub ?? null,
  };
  try {
    await retryWhile(
      () => deps.nats.js.publish(subj.notificationsLedgerSent(id), jsonBytes(record)),
      {
        transient: isBrokerUnavailable,
        until: Date.now() + 5_000,
        firstPauseMs: 100,
        maxPauseMs: 1_000,
      },
    );
  } catch (e) {
    deps.log.error("notification ledger write failed; withdrawing the copies", {
      notification_id: id,
      err: e,
    });
    await deleteCopies(deps, copies).catch(() => {});
    publishRecallAmend(deps, id);
    throw badGateway(`notification ${id} could not be recorded and was withdrawn; retry`, e);
  }

  const delivered = copies.map((c) => c.subject);
  await recordAudit(deps.nats, {
    action: "notification",
    target: id,
    payload: {
      notification_id: id,
      priority: notification.priority,
      require_ack: notification.require_ack,
      subjects: delivered,
      failed_subjects: failed,
    },
  }, caller);
  deps.log.info("notification published", {
    notification_id: id,
    subjects: delivered,
    failed_subjects: failed,
  });
  return { id, subjects: delivered };
}
