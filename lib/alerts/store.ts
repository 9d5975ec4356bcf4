/**
 * The one module that writes `alert_deliveries`, `alert_offline` and `alert_state` (the
 * alerts migration). A delivery's lifecycle:
 *
 *   event matched a rule ──► pending ──attempt ok──────────────► delivered
 *        │                     │ └──attempt failed, retriable──► pending (attempts+1)
 *        │                     └──final failure / attempts out─► failed (last error)
 *        └─ over the rule's per-PC rate limit ─────────────────► suppressed (never sent)
 *   cleanup sweep (projectors/cleanup.ts) ─► rows past the results retention removed
 *
 * A pending row is sent by whoever holds its claim (`claimed_by` until `claim_until`), so
 * two engines overlapping during a lease hand-over never send the same row twice.
 */
import { type Db, type InStatement, rowsOf } from "../../db/client.ts";
import { apiTs } from "../../wire/time.ts";
import type { AlertEvent, Delivery, DeliveryStatus } from "./model.ts";
import type { AlertPayload, TransitionRow } from "./policy.ts";

export const CHECK_CURSOR = "check_cursor";
export const PRESENCE_BASELINE = "presence_baseline";

export interface NewDelivery {
  rule: string;
  eventKey: string;
  event: AlertEvent;
  pcId: string;
  checkName: string | null;
  payload: AlertPayload;
  status: "pending" | "suppressed";
  /** Why it was suppressed (the rate limit), else null. */
  note: string | null;
}

/** What one engine pass decided, written in one transaction. */
export interface Decisions {
  deliveries: NewDelivery[];
  /** The new check-transitions cursor (unchanged when undefined). */
  cursor?: number;
  offlineAdd?: { pcId: string; hb: string | null }[];
  offlineRemove?: string[];
  baseline?: boolean;
}

export async function readState(db: Db, key: string): Promise<string | null> {
  const rs = await db.execute({ sql: "SELECT value FROM alert_state WHERE key = ?", args: [key] });
  const v = rowsOf<{ value: string }>(rs)[0]?.value;
  return v === undefined ? null : String(v);
}

/**
 * The check-transitions cursor. The first run starts at the newest transition: rules fire
 * on what happens from now on, not on the history that was there before alerts existed.
 */
export async function checkCursor(db: Db): Promise<number> {
  const v = await readState(db, CHECK_CURSOR);
  if (v !== null) return Number(v);
  await db.execute({
    sql: `INSERT OR IGNORE INTO alert_state (key, value)
            SELECT ?, CAST(COALESCE(MAX(id), 0) AS TEXT) FROM check_transitions`,
    args: [CHECK_CURSOR],
  });
  return Number(await readState(db, CHECK_CURSOR) ?? 0);
}

/**
 * Transitions after `cursor`, in id order. Ids grow in commit order (SQLite has one writer
 * at a time and AUTOINCREMENT never reuses), so a cursor on the id never skips a row.
 */
export async function transitionsAfter(
  db: Db,
  cursor: number,
  limit: number,
): Promise<TransitionRow[]> {
  const rs = await db.execute({
    sql: `SELECT id, pc_id, check_name, label, from_status, to_status, detail, recorded_at
            FROM check_transitions WHERE id > ? ORDER BY id LIMIT ?`,
    args: [cursor, limit],
  });
  return rowsOf<TransitionRow>(rs).map((r) => ({ ...r, id: Number(r.id) }));
}

export const pairKey = (rule: string, pc: string) => `${rule}\u0000${pc}`;

/** Deliveries (not suppressed) per (rule, PC) created at or after `since`. */
export async function recentCounts(
  db: Db,
  pairs: [string, string][],
  since: string,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!pairs.length) return out;
  const unique = [...new Map(pairs.map((p) => [pairKey(p[0], p[1]), p])).values()];
  const rs = await db.execute({
    sql: `SELECT d.rule_name, d.pc_id, COUNT(*) AS n
            FROM json_each(?) j JOIN alert_deliveries d
              ON d.rule_name = j.value ->> 0 AND d.pc_id = j.value ->> 1
           WHERE d.created_at >= ? AND d.status <> 'suppressed'
           GROUP BY d.rule_name, d.pc_id`,
    args: [JSON.stringify(unique), since],
  });
  for (const r of rowsOf<{ rule_name: string; pc_id: string; n: number }>(rs)) {
    out.set(pairKey(r.rule_name, r.pc_id), Number(r.n));
  }
  return out;
}

/** The PCs recorded offline: pc → the heartbeat they went silent after. */
export async function offlinePcs(db: Db): Promise<Map<string, string | null>> {
  const rs = await db.execute("SELECT pc_id, last_heartbeat FROM alert_offline");
  return new Map(
    rowsOf<{ pc_id: string; last_heartbeat: string | null }>(rs).map((r) => [
      String(r.pc_id),
      r.last_heartbeat === null ? null : String(r.last_heartbeat),
    ]),
  );
}

/**
 * Writes one pass: new deliveries (a repeat of a (rule, event key) is ignored), the
 * offline set and the cursor, atomically, so a crash between them neither loses an event
 * nor sends one twice.
 */
export async function recordDecisions(db: Db, d: Decisions, now: string): Promise<void> {
  const stmts: InStatement[] = [];
  if (d.deliveries.length) {
    stmts.push({
      sql: `INSERT OR IGNORE INTO alert_deliveries (rule_name, event_key, event, pc_id,
              check_name, payload, status, last_error, created_at, updated_at)
            SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4,
              value ->> 5, value ->> 6, value ->> 7, ?, ?
            FROM json_each(?)`,
      args: [
        now,
        now,
        JSON.stringify(d.deliveries.map((x) => [
          x.rule,
          x.eventKey,
          x.event,
          x.pcId,
          x.checkName,
          JSON.stringify(x.payload),
          x.status,
          x.note,
        ])),
      ],
    });
  }
  if (d.offlineAdd?.length) {
    stmts.push({
      sql: `INSERT INTO alert_offline (pc_id, last_heartbeat, since)
              SELECT value ->> 0, value ->> 1, ? FROM json_each(?) WHERE true
            ON CONFLICT (pc_id) DO UPDATE SET last_heartbeat = excluded.last_heartbeat,
              since = excluded.since`,
      args: [now, JSON.stringify(d.offlineAdd.map((x) => [x.pcId, x.hb]))],
    });
  }
  if (d.offlineRemove?.length) {
    stmts.push({
      sql: "DELETE FROM alert_offline WHERE pc_id IN (SELECT value FROM json_each(?))",
      args: [JSON.stringify(d.offlineRemove)],
    });
  }
  if (d.cursor !== undefined) {
    stmts.push({
      sql: `INSERT INTO alert_state (key, value) VALUES (?, ?)
            ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      args: [CHECK_CURSOR, String(d.cursor)],
    });
  }
  if (d.baseline) {
    stmts.push({
      sql: "INSERT OR IGNORE INTO alert_state (key, value) VALUES (?, ?)",
      args: [PRESENCE_BASELINE, now],
    });
  }
  if (stmts.length) await db.batch(stmts, "write");
}

/** A pending delivery claimed for sending. */
export interface ClaimedDelivery {
  id: number;
  rule: string;
  attempts: number;
  payload: string;
  event: AlertEvent;
}

/**
 * Claims up to `limit` pending deliveries nobody holds (or whose claim ran out) for
 * `holder` until `until`. Each claim is its own conditional update, so of two engines only
 * one wins a row.
 */
export async function claimPending(
  db: Db,
  holder: string,
  now: string,
  until: string,
  limit: number,
  skip: ReadonlySet<number>,
): Promise<ClaimedDelivery[]> {
  const rs = await db.execute({
    sql: `SELECT id, rule_name, attempts, payload, event FROM alert_deliveries
           WHERE status = 'pending' AND (claim_until IS NULL OR claim_until < ?)
           ORDER BY id LIMIT ?`,
    args: [now, limit + skip.size],
  });
  const out: ClaimedDelivery[] = [];
  for (const r of rowsOf<Record<string, unknown>>(rs)) {
    const id = Number(r.id);
    if (skip.has(id) || out.length >= limit) continue;
    const won = await db.execute({
      sql: `UPDATE alert_deliveries SET claimed_by = ?, claim_until = ?
             WHERE id = ? AND status = 'pending' AND (claim_until IS NULL OR claim_until < ?)`,
      args: [holder, until, id, now],
    });
    if (won.rowsAffected !== 1) continue;
    out.push({
      id,
      rule: String(r.rule_name),
      attempts: Number(r.attempts),
      payload: String(r.payload),
      event: String(r.event) as AlertEvent,
    });
  }
  return out;
}

/** One attempt's outcome; `status` moves the row on (pending keeps it for another attempt). */
export async function recordAttempt(
  db: Db,
  id: number,
  holder: string,
  a: {
    status: Exclude<DeliveryStatus, "suppressed">;
    attempts: number;
    lastStatus: number | null;
    lastError: string | null;
    now: string;
  },
): Promise<void> {
  await db.execute({
    sql: `UPDATE alert_deliveries SET status = ?, attempts = ?, last_status = ?, last_error = ?,
            updated_at = ?,
            claimed_by = CASE WHEN ? = 'pending' THEN claimed_by END,
            claim_until = CASE WHEN ? = 'pending' THEN claim_until END
           WHERE id = ? AND claimed_by = ?`,
    args: [
      a.status,
      a.attempts,
      a.lastStatus,
      a.lastError,
      a.now,
      a.status,
      a.status,
      id,
      holder,
    ],
  });
}

/** Gives a pending row back (a stopped engine) so the next leader need not wait for the claim. */
export async function releaseClaim(db: Db, id: number, holder: string): Promise<void> {
  await db.execute({
    sql: `UPDATE alert_deliveries SET claimed_by = NULL, claim_until = NULL
           WHERE id = ? AND claimed_by = ? AND status = 'pending'`,
    args: [id, holder],
  });
}

// ---------------------------------------------------------------- reads (the API)

type DeliveryRow = Record<string, unknown>;

function deliveryOf(r: DeliveryRow): Delivery {
  let payload: Record<string, unknown> = {};
  try {
    payload = JSON.parse(String(r.payload));
  } catch { /* a row is written by recordDecisions only: always JSON */ }
  return {
    id: Number(r.id),
    rule: String(r.rule_name),
    event: String(r.event) as AlertEvent,
    event_key: String(r.event_key),
    pc_id: String(r.pc_id),
    check_name: r.check_name === null ? null : String(r.check_name),
    status: String(r.status) as DeliveryStatus,
    attempts: Number(r.attempts),
    last_status: r.last_status === null ? null : Number(r.last_status),
    last_error: r.last_error === null ? null : String(r.last_error),
    created_at: apiTs(r.created_at)!,
    updated_at: apiTs(r.updated_at)!,
    payload,
  };
}

const DELIVERY_COLS = `id, rule_name, event, event_key, pc_id, check_name, status, attempts,
  last_status, last_error, created_at, updated_at, payload`;

/** A rule's deliveries, newest first; `status` filters, `before` pages by id. */
export async function listDeliveries(
  db: Db,
  rule: string,
  q: { status?: DeliveryStatus; limit: number; before?: number },
): Promise<Delivery[]> {
  const where = ["rule_name = ?"];
  const args: (string | number)[] = [rule];
  if (q.status) where.push("status = ?"), args.push(q.status);
  if (q.before !== undefined) where.push("id < ?"), args.push(q.before);
  const rs = await db.execute({
    sql: `SELECT ${DELIVERY_COLS} FROM alert_deliveries WHERE ${
      where.join(" AND ")
    } ORDER BY id DESC LIMIT ?`,
    args: [...args, q.limit],
  });
  return rowsOf<DeliveryRow>(rs).map(deliveryOf);
}

export interface RuleDeliverySummary {
  counts: Record<DeliveryStatus, number>;
  last: Omit<Delivery, "payload"> | null;
}

/** Per rule: deliveries by status and the newest delivery. */
export async function deliverySummaries(
  db: Db,
  rules: string[],
): Promise<Map<string, RuleDeliverySummary>> {
  const out = new Map<string, RuleDeliverySummary>();
  for (const r of rules) {
    out.set(r, { counts: { pending: 0, delivered: 0, failed: 0, suppressed: 0 }, last: null });
  }
  if (!rules.length) return out;
  const names = JSON.stringify(rules);
  const [counts, last] = await db.batch([
    {
      sql: `SELECT rule_name, status, COUNT(*) AS n FROM alert_deliveries
             WHERE rule_name IN (SELECT value FROM json_each(?)) GROUP BY rule_name, status`,
      args: [names],
    },
    {
      sql: `SELECT ${DELIVERY_COLS} FROM alert_deliveries WHERE id IN (
              SELECT (SELECT MAX(id) FROM alert_deliveries d WHERE d.rule_name = j.value)
                FROM json_each(?) j)`,
      args: [names],
    },
  ], "read");
  for (const r of rowsOf<{ rule_name: string; status: DeliveryStatus; n: number }>(counts)) {
    const s = out.get(String(r.rule_name));
    if (s && r.status in s.counts) s.counts[r.status] = Number(r.n);
  }
  for (const r of rowsOf<DeliveryRow>(last)) {
    const s = out.get(String(r.rule_name));
    if (!s) continue;
    const { payload: _drop, ...rest } = deliveryOf(r);
    s.last = rest;
  }
  return out;
}
