/**
 * The three verbs on one config scope, shared by `/api/config`, `/api/groups/:name/config`
 * and `/api/pcs/:pc_id/config`. PUT is a **full replace**: fields left out are removed from
 * the scope (they inherit from the layer below); to change one field, GET, edit, PUT.
 */
import { caller, type Ctx, deps, readJson } from "../route.ts";
import { ConfigScopeInputSchema } from "../../wire/config_scope.ts";
import { deleteScope, getScope, putScope } from "../../lib/fleet/config_store.ts";
import { type Scope, scopeKey } from "../../lib/fleet/scopes.ts";
import { recordAudit } from "../../lib/audit.ts";

export async function getScopeResponse(c: Ctx, scope: Scope) {
  return c.json(await getScope(deps(c).nats, scope));
}

export async function putScopeResponse(c: Ctx, scope: Scope) {
  const input = await readJson(c, ConfigScopeInputSchema);
  const r = await putScope(deps(c).nats, scope, input);
  if (r.changed) {
    await recordAudit(deps(c).nats, {
      action: "config_set",
      target: scopeKey(scope),
      payload: { scope: scopeKey(scope), config: r.scope },
    }, caller(c));
  }
  return c.json(r.scope);
}

export async function deleteScopeResponse(c: Ctx, scope: Scope) {
  const changed = await deleteScope(deps(c).nats, scope);
  if (changed) {
    await recordAudit(deps(c).nats, {
      action: "config_delete",
      target: scopeKey(scope),
      payload: { scope: scopeKey(scope) },
    }, caller(c));
  }
  return c.body(null, 204);
}
