/** Operator actions on compliance checks (the API calls these; they know nothing of HTTP). */
import type { Deps } from "../deps.ts";
import type { Caller } from "../auth.ts";
import { recordAudit } from "../audit.ts";
import { badRequest } from "../errors.ts";
import { clearChecks } from "./store.ts";

/**
 * `DELETE /api/checks/{name}[?pc_id=]`: forget the stored status of a check (of one PC).
 * A PC that reports again re-creates its row. `{deleted}` is 0 when nothing matched.
 */
export async function clearCheck(
  deps: Pick<Deps, "db" | "nats">,
  name: string,
  pcId: string | undefined,
  caller: Caller,
): Promise<{ deleted: number }> {
  const checkName = name.trim();
  if (!checkName) throw badRequest("check_name must be non-empty");
  const pc = pcId?.trim() || undefined;
  const deleted = await clearChecks(deps.db, checkName, pc);
  await recordAudit(deps.nats, {
    action: "check_clear",
    target: checkName,
    payload: { check_name: checkName, pc_id: pc ?? null, deleted },
  }, caller);
  return { deleted };
}
