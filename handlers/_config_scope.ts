/**
 * The three verbs on one config scope, shared by `/api/config`, `/api/groups/:name/config`
 * and `/api/pcs/:pc_id/config`. PUT is a **full replace**: fields left out are removed from
 * the scope (they inherit from the layer below); to change one field, GET, edit, PUT.
 */
import { z } from "zod";
import { caller, type Ctx, deps, type ResponsesDecl } from "./route.ts";
import { ConfigScopeInputSchema, ConfigScopeSchema } from "../wire/config_scope.ts";
import { deleteScope, getScope, putScope } from "../lib/fleet/config_store.ts";
import { type Scope, scopeKey } from "../lib/fleet/scopes.ts";
import { recordAudit } from "../lib/audit.ts";

/** A stored scope as read back (`{}` when unset). */
const StoredScopeSchema = ConfigScopeSchema.strict();

/** Request and response schemas of the three verbs, for every scope's route. */
export const scopeSchemas = {
  get: { 200: { json: StoredScopeSchema } } satisfies ResponsesDecl,
  put: {
    body: {
      json: ConfigScopeInputSchema,
      description: "the whole scope: omitted fields inherit from below, `null` unsets one",
    },
    responses: { 200: { json: StoredScopeSchema } } satisfies ResponsesDecl,
  },
  delete: { 204: "removed (also when it was absent)" } satisfies ResponsesDecl,
};

export async function getScopeResponse(c: Ctx, scope: Scope) {
  return c.json(await getScope(deps(c).nats, scope));
}

export async function putScopeResponse(c: Ctx, scope: Scope) {
  const input = c.req.valid("json") as z.output<typeof ConfigScopeInputSchema>;
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
