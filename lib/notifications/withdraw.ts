/**
 * Taking a sent notification back off the agents' subjects: its fan-out copies are deleted
 * from stream NOTIFICATIONS (so no replay, by any agent version, returns it again) and a
 * `withdrawn` ledger record is appended (the history keeps the notification and says why).
 * Two callers: recall (operator, also tells connected agents on `notif-amend`) and the
 * cleanup sweep's expiry.
 */
import type { Deps } from "../deps.ts";
import type { Caller } from "../auth.ts";
import { badGateway, conflict, notFound } from "../errors.ts";
import { recordAudit } from "../audit.ts";
import { isNotFound } from "../nats.ts";
import { STREAM, SUBJECT, subjects as subj } from "../../wire/names.ts";
import {
  type Copy,
  type LedgerSent,
  LedgerSentSchema,
  type LedgerWithdrawn,
  LedgerWithdrawnSchema,
  recallAmend,
} from "../../wire/notifications.ts";
import { jsonBytes, parseJsonBytes } from "../../wire/codec.ts";
import { dbTs, nowWire } from "../../wire/time.ts";
import { rowsOf } from "../../db/client.ts";

/** JetStream's "no message found" (10037): the copy is gone already (aged out, withdrawn). */
function isNoMessage(e: unknown): boolean {
  const code = (e as { api_error?: { err_code?: number }; code?: unknown })?.api_error?.err_code ??
    (e as { code?: unknown })?.code;
  return code === 10037 || /no message found/i.test(String((e as Error)?.message ?? e)) ||
    isNotFound(e);
}

/** The ledger's `sent` record of `id` straight from the stream (no projection lag). */
export async function readSent(deps: Deps, id: string): Promise<LedgerSent | null> {
  const m = await deps.nats.jsm.streams.getMessage(STREAM.notifications, {
    last_by_subj: subj.notificationsLedgerSent(id),
  });
  return m ? LedgerSentSchema.parse(parseJsonBytes(m.data)) : null;
}

export async function readWithdrawn(deps: Deps, id: string): Promise<LedgerWithdrawn | null> {
  const m = await deps.nats.jsm.streams.getMessage(STREAM.notifications, {
    last_by_subj: subj.notificationsLedgerWithdrawn(id),
  });
  return m ? LedgerWithdrawnSchema.parse(parseJsonBytes(m.data)) : null;
}

/** Deletes every copy; a copy already gone counts as deleted. Returns what failed. */
export async function deleteCopies(deps: Deps, copies: readonly Copy[]): Promise<Copy[]> {
  const failed: Copy[] = [];
  for (const c of copies) {
    try {
      await deps.nats.jsm.streams.deleteMessage(STREAM.notifications, c.seq, false);
    } catch (e) {
      if (!isNoMessage(e)) {
        deps.log.warn("notification copy delete failed", {
          seq: c.seq,
          subject: c.subject,
          err: e,
        });
        failed.push(c);
      }
    }
  }
  return failed;
}

async function appendWithdrawn(
  deps: Deps,
  id: string,
  reason: LedgerWithdrawn["reason"],
  by: string | null,
): Promise<LedgerWithdrawn> {
  const rec: LedgerWithdrawn = {
    kind: "withdrawn",
    id,
    reason,
    withdrawn_at: nowWire(),
    withdrawn_by: by,
  };
  await deps.nats.js.publish(subj.notificationsLedgerWithdrawn(id), jsonBytes(rec));
  return rec;
}

/** Tells connected agents to drop `id` now (core, fire-and-forget, as upstream). */
export function publishRecallAmend(deps: Deps, id: string): void {
  try {
    deps.nats.nc.publish(SUBJECT.notificationsAmend, jsonBytes(recallAmend(id)));
  } catch (e) {
    deps.log.warn("notification amend publish failed", { notification_id: id, err: e });
  }
}

/**
 * `POST /api/notifications/{id}/recall`: 404 when never sent, 409 when already withdrawn,
 * 502 when a copy could not be deleted (nothing is recorded; a retry deletes the rest).
 */
export async function recallNotification(
  deps: Deps,
  id: string,
  caller?: Caller | null,
): Promise<LedgerWithdrawn> {
  const sent = await readSent(deps, id);
  if (!sent) throw notFound(`notification ${id} not found`);
  const prior = await readWithdrawn(deps, id);
  if (prior) throw conflict(`notification ${id} was already withdrawn (${prior.reason})`);
  const failed = await deleteCopies(deps, sent.copies);
  if (failed.length) {
    throw badGateway(
      `failed to fully recall notification ${id}: ${failed.length} of ${sent.copies.length} copies could not be deleted; retry`,
    );
  }
  publishRecallAmend(deps, id);
  const rec = await appendWithdrawn(deps, id, "recalled", caller?.sub ?? null);
  await recordAudit(deps.nats, {
    action: "notification.recall",
    target: id,
    payload: { notification_id: id, deleted_copies: sent.copies.length },
  }, caller);
  deps.log.info("notification recalled", { notification_id: id });
  return rec;
}

/** Largest number of expired notifications one sweep withdraws. */
export const EXPIRY_BATCH = 500;

/**
 * Cleanup sweep: withdraws the copies of every notification whose `expires_at` passed, so
 * an agent that comes back late never replays it (agents also skip expired bodies, which
 * covers the time until this sweep runs). Returns the ids withdrawn.
 */
export async function withdrawExpired(deps: Deps, nowMs: number): Promise<string[]> {
  const rs = await deps.db.execute({
    sql: `SELECT id, copies FROM notifications
          WHERE withdrawn_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ?
          ORDER BY expires_at LIMIT ?`,
    args: [dbTs(nowMs), EXPIRY_BATCH],
  });
  const done: string[] = [];
  for (const row of rowsOf<{ id: string; copies: string }>(rs)) {
    // Recalled meanwhile (its record not projected yet): nothing left to do.
    if (await readWithdrawn(deps, row.id)) continue;
    const copies = JSON.parse(row.copies) as Copy[];
    if ((await deleteCopies(deps, copies)).length) continue; // next sweep retries
    await appendWithdrawn(deps, row.id, "expired", null);
    done.push(row.id);
  }
  return done;
}
