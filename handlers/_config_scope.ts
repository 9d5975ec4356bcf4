/**
 * The three verbs on one config scope, shared by `/api/config`, `/api/groups/:name/config`
 * and `/api/pcs/:pc_id/config`. PUT is a **full replace**: fields left out are removed from
 * the scope (they inherit from the layer below); to change one field, GET, edit, PUT.
 * `scopeRoute` builds each of those routes from the verb and the kind of scope, so a
 * handler file names only what differs: which one it is and its summary.
 */
import { z } from "zod";
import {
  type BodyDecl,
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

/** Each verb: its method, the least role, its request body and responses, its answer. */
const VERBS = {
  get: { method: "GET", role: "viewer", responses: scopeSchemas.get, respond: getScopeResponse },
  put: {
    method: "PUT",
    role: "operator",
    body: scopeSchemas.put.body,
    responses: scopeSchemas.put.responses,
    respond: putScopeResponse,
  },
  delete: {
    method: "DELETE",
    role: "operator",
    responses: scopeSchemas.delete,
    respond: deleteScopeResponse,
  },
} as const;

/** The route of one verb on one kind of scope: reading is for viewers, changing for operators. */
export function scopeRoute(verb: keyof typeof VERBS, kind: ScopeKind, summary: string): RouteDef {
  const v: (typeof VERBS)[keyof typeof VERBS] & { body?: BodyDecl } = VERBS[verb];
  const request = {
    ...(kind.params ? { params: kind.params } : {}),
    ...(v.body ? { body: v.body } : {}),
  };
  return defineRoute({
    method: v.method,
    path: kind.path,
    role: v.role,
    summary,
    ...(Object.keys(request).length > 0 ? { request } : {}),
    responses: v.responses,
    handler: (c) => v.respond(c, kind.scope(c)),
  });
}
