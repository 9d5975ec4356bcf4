/**
 * The three verbs on one config scope, shared by `/api/config`, `/api/groups/:name/config`
 * and `/api/pcs/:pc_id/config`. PUT is a **full replace**: fields left out are removed from
 * the scope (they inherit from the layer below); to change one field, GET, edit, PUT.
 * `scopeRoute` builds each of those routes from the verb and the kind of scope, so a
 * handler file names only what differs: which one it is and its summary.
 */
import { z } from "zod";
import {
  caller,
  type Ctx,
  defineRoute,
  deps,
  pathParams,
  type ResponsesDecl,
  type RouteDef,
} from "./route.ts";
import { groupParam, pcParam } from "./_params.ts";
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

/** One kind of scope: its URL, its path parameter, and the scope a request names. */
export interface ScopeKind {
  path: string;
  params?: z.ZodObject;
  scope: (c: Ctx) => Scope;
}

export const GLOBAL_SCOPE: ScopeKind = { path: "/api/config", scope: () => ({ type: "global" }) };
export const GROUP_SCOPE: ScopeKind = {
  path: "/api/groups/:name/config",
  params: pathParams("name"),
  scope: (c) => ({ type: "group", value: groupParam(c) }),
};
export const PC_SCOPE: ScopeKind = {
  path: "/api/pcs/:pc_id/config",
  params: pathParams("pc_id"),
  scope: (c) => ({ type: "pc", value: pcParam(c) }),
};

/** The route of one verb on one kind of scope: reading is for viewers, changing for operators. */
export function scopeRoute(
  verb: "get" | "put" | "delete",
  kind: ScopeKind,
  summary: string,
): RouteDef {
  const params = kind.params ? { params: kind.params } : {};
  switch (verb) {
    case "get":
      return defineRoute({
        method: "GET",
        path: kind.path,
        role: "viewer",
        summary,
        ...(kind.params ? { request: params } : {}),
        responses: scopeSchemas.get,
        handler: (c) => getScopeResponse(c, kind.scope(c)),
      });
    case "put":
      return defineRoute({
        method: "PUT",
        path: kind.path,
        role: "operator",
        summary,
        request: { ...params, body: scopeSchemas.put.body },
        responses: scopeSchemas.put.responses,
        handler: (c) => putScopeResponse(c, kind.scope(c)),
      });
    case "delete":
      return defineRoute({
        method: "DELETE",
        path: kind.path,
        role: "operator",
        summary,
        ...(kind.params ? { request: params } : {}),
        responses: scopeSchemas.delete,
        handler: (c) => deleteScopeResponse(c, kind.scope(c)),
      });
  }
}
