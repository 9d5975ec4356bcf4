/**
 * The one module that writes `check_status` and `check_transitions`. Their lifecycle:
 *
 *   result of a fleet check job ──projection──► check_status row (newer wins)
 *                                           └─► check_transitions row (status changed)
 *   DELETE /api/checks/{name}[?pc_id] ─┬───────► check_status rows removed (clear)
 *   its check_clear audit event (replay) ─┴───────► check_clears mark: older results
 *                                                   are not projected again
 *   cleanup sweep (projectors/cleanup.ts) ─────► transitions past the results retention
 *
 * The projection (project.ts) builds its statements here; the API calls `clearChecks`
 * and the audit projector `clearStatements`.
 */
import type { SqlExec } from "../inventory/tables.ts";
import type { Db } from "../../db/client.ts";
import {
  checkKey,
  type CheckPlan,
  type CheckRow,
  type ClearMarks,
  type StoredCheck,
} from "./plan.ts";

const PRIOR = `SELECT c.pc_id, c.check_name, c.status, c.recorded_at
  FROM json_each(?) j JOIN check_status c
    ON c.pc_id = j.value ->> 0 AND c.check_name = j.value ->> 1`;

const UPSERT = `INSERT INTO check_status (pc_id, check_name, label, status, detail, recorded_at)
  SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5
  FROM json_each(?) WHERE true
  ON CONFLICT(pc_id, check_name) DO UPDATE SET
    label = excluded.label, status = excluded.status, detail = excluded.detail,
    recorded_at = excluded.recorded_at
  WHERE excluded.recorded_at >= check_status.recorded_at`;

const TRANSITIONS = `INSERT OR IGNORE INTO check_transitions
    (pc_id, check_name, label, from_status, to_status, detail, recorded_at)
  SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5,
    value ->> 6
  FROM json_each(?)`;

/** `(pc_id, check_name)` pairs as one JSON parameter, each pair once. */
function pairsJson(pairs: [string, string][]): string {
  return JSON.stringify([...new Map(pairs.map((p) => [checkKey(p[0], p[1]), p])).values()]);
}

/** The stored rows of `(pc_id, check_name)` pairs, keyed by `checkKey`. */
export async function storedChecks(
  tx: Pick<SqlExec, "execute">,
  pairs: [string, string][],
): Promise<Map<string, StoredCheck>> {
  const out = new Map<string, StoredCheck>();
  const rs = await tx.execute({ sql: PRIOR, args: [pairsJson(pairs)] });
  for (const p of rs.rows) {
    out.set(checkKey(String(p.pc_id), String(p.check_name)), {
      status: String(p.status),
      recorded_at: String(p.recorded_at),
    });
  }
  return out;
}

const rowJson = (
  r: CheckRow,
) => [r.pc_id, r.check_name, r.label, r.status, r.detail, r.recorded_at];

/** The statements that write a plan's rows and transitions (set-based, one JSON each). */
export function checkWrites(plan: Pick<CheckPlan, "upserts" | "transitions">) {
  const out = [];
  if (plan.upserts.length) {
    out.push({ sql: UPSERT, args: [JSON.stringify(plan.upserts.map(rowJson))] });
  }
  if (plan.transitions.length) {
    out.push({
      sql: TRANSITIONS,
      args: [JSON.stringify(plan.transitions.map((t) => [
        t.pc_id,
        t.check_name,
        t.label,
        t.from_status,
        t.status,
        t.detail,
        t.recorded_at,
      ]))],
    });
  }
  return out;
}

// The marks that can apply to these (PC, check) pairs: the check's own for every PC ('')
// and each PC's, not every PC cleared one by one.
const MARKS = `SELECT DISTINCT c.check_name, c.pc_id, c.cleared_at
  FROM json_each(?) j JOIN check_clears c
    ON c.check_name = j.value ->> 1 AND c.pc_id IN (j.value ->> 0, '')`;

/** The clear marks that apply to `(pc_id, check_name)` pairs (see plan.ts `ClearMarks`). */
export async function clearMarks(
  tx: Pick<SqlExec, "execute">,
  pairs: [string, string][],
): Promise<ClearMarks> {
  const marks: ClearMarks = new Map();
  const rs = await tx.execute({ sql: MARKS, args: [pairsJson(pairs)] });
  for (const r of rs.rows) {
    marks.set(checkKey(String(r.pc_id), String(r.check_name)), String(r.cleared_at));
  }
  return marks;
}

/**
 * A clear of one check (of one PC when given) at `clearedAt` (canonical DB text): its mark,
 * kept at the newest clear, then the rows published at or before it removed. The DELETE's
 * count is the last statement's. Idempotent: the audit projector applies the same clear
 * again on every node and on a replay. `clearedAt` is the API's clock and `recorded_at` the
 * broker's publish time: a skew between them moves the line by that much (NTP keeps it to
 * milliseconds).
 */
export function clearStatements(
  checkName: string,
  pcId: string | null,
  clearedAt: string,
): { sql: string; args: string[] }[] {
  return [
    {
      sql: `INSERT INTO check_clears (check_name, pc_id, cleared_at) VALUES (?, ?, ?)
            ON CONFLICT (check_name, pc_id) DO UPDATE
            SET cleared_at = MAX(cleared_at, excluded.cleared_at)`,
      args: [checkName, pcId ?? "", clearedAt],
    },
    pcId === null
      ? {
        sql: "DELETE FROM check_status WHERE check_name = ? AND recorded_at <= ?",
        args: [checkName, clearedAt],
      }
      : {
        sql: "DELETE FROM check_status WHERE check_name = ? AND pc_id = ? AND recorded_at <= ?",
        args: [checkName, pcId, clearedAt],
      },
  ];
}

/** Clear one check (of one PC when given) in one transaction; returns how many rows went. */
export async function clearChecks(
  db: Db,
  checkName: string,
  pcId: string | null,
  clearedAt: string,
): Promise<number> {
  const rs = await db.batch(clearStatements(checkName, pcId, clearedAt), "write");
  return rs[rs.length - 1].rowsAffected;
}
