/** Operator actions on compliance checks (the API calls these; they know nothing of HTTP). */
import type { Deps } from "../deps.ts";
import type { Caller } from "../auth.ts";
import { recordAudit } from "../audit.ts";
import { badRequest } from "../errors.ts";
import { clearChecks } from "./store.ts";
import { publishChanges } from "../change_feed.ts";
import { dbTs } from "../../wire/time.ts";

/**
 * `DELETE /api/checks/{name}[?pc_id=]`: forget the stored status of a check (of one PC).
 * A PC that reports after the clear re-creates its row; a result published before it,
 * still on its way or replayed, does not (store.ts `check_clears`). `{deleted}` is 0 when
 * nothing matched. The audit event carries the clear's time, so the audit projector
 * applies the same clear on a replay and on every node.
 */
export async function clearCheck(
  deps: Pick<Deps, "db" | "nats" | "config">,
  name: string,
  pcId: string | undefined,
  caller: Caller,
): Promise<{ deleted: number }> {
  const checkName = name.trim();
  if (!checkName) throw badRequest("check_name must be non-empty");
  const pc = pcId?.trim() || undefined;
  const at = Date.now();
  const deleted = await clearChecks(deps.db, checkName, pc ?? null, dbTs(at));
  await recordAudit(deps.nats, {
    action: "check_clear",
    target: checkName,
    payload: { check_name: checkName, pc_id: pc ?? null, deleted },
    occurredAt: at,
  }, caller);
  publishChanges(deps, [{
    kind: "check",
    cleared: deleted,
    check_names: [checkName],
    pc_ids: pc ? [pc] : [],
  }]);
  return { deleted };
}
