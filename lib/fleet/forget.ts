/**
 * Forgetting an agent: the `agents` row goes (a PC that is still alive comes back with its
 * next heartbeat). Its group membership and `pcs.<pc_id>` config are operator intent and
 * stay unless `purge` is asked for, so re-imaging a PC keeps its settings by default.
 */
import type { Db } from "../../db/client.ts";
import type { Nats } from "../nats.ts";
import { dropGroups } from "./groups.ts";
import { deleteScope } from "./config_store.ts";
import { isKvToken } from "../kv.ts";

export interface ForgetResult {
  pc_id: string;
  agent_row: boolean;
  groups: boolean;
  pc_config: boolean;
}

export async function forgetAgent(
  db: Db,
  nats: Nats,
  pcId: string,
  opts: { purge?: boolean } = {},
): Promise<ForgetResult> {
  const rs = await db.execute({ sql: "DELETE FROM agents WHERE pc_id = ?", args: [pcId] });
  const out: ForgetResult = {
    pc_id: pcId,
    agent_row: rs.rowsAffected > 0,
    groups: false,
    pc_config: false,
  };
  // Ids that cannot be KV keys never had groups or a pc scope.
  if (opts.purge && isKvToken(pcId)) {
    out.groups = await dropGroups(nats, pcId);
    out.pc_config = await deleteScope(nats, { type: "pc", value: pcId });
  }
  return out;
}
