/**
 * The one module that writes `check_status` and `check_transitions`. Their lifecycle:
 *
 *   result of a fleet check job ──projection──► check_status row (newer wins)
 *                                           └─► check_transitions row (status changed)
 *   DELETE /api/checks/{name}[?pc_id] ─────────► check_status rows removed (clear)
 *   cleanup sweep (projectors/cleanup.ts) ─────► transitions past the results retention
 *
 * The projection (project.ts) builds its statements here; the API calls `clearChecks`.
 */
import type { SqlExec } from "../inventory/tables.ts";
import type { Db } from "../../db/client.ts";
import { checkKey, type CheckPlan, type CheckRow, type StoredCheck } from "./plan.ts";

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

/** The stored rows of `(pc_id, check_name)` pairs, keyed by `checkKey`. */
export async function storedChecks(
  tx: Pick<SqlExec, "execute">,
  pairs: [string, string][],
): Promise<Map<string, StoredCheck>> {
  const unique = new Map(pairs.map((p) => [checkKey(p[0], p[1]), p]));
  const out = new Map<string, StoredCheck>();
  const rs = await tx.execute({ sql: PRIOR, args: [JSON.stringify([...unique.values()])] });
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

/** Remove the rows of one check (of one PC when given); returns how many went. */
export async function clearChecks(db: Db, checkName: string, pcId?: string): Promise<number> {
  const rs = pcId === undefined
    ? await db.execute({ sql: "DELETE FROM check_status WHERE check_name = ?", args: [checkName] })
    : await db.execute({
      sql: "DELETE FROM check_status WHERE check_name = ? AND pc_id = ?",
      args: [checkName, pcId],
    });
  return rs.rowsAffected;
}
