/**
 * The contract of a handler file: one `RouteDef` (method, path, role, handler, and the zod
 * schemas of its request and responses). `handlers/router.ts` mounts every route and checks
 * each request against its schemas before the handler runs (`handlers/validate.ts`), so a
 * handler reads typed input with `c.req.valid("param" | "query" | "json")`; the same schemas
 * generate `GET /api/openapi.json`. `standalone()` serves one route alone.
 */
import type { Context, Handler } from "hono";
import { z } from "zod";
import YAML from "yaml";
import type { Deps } from "../lib/deps.ts";
import type { Caller, Role } from "../lib/auth.ts";
import { badRequest, payloadTooLarge } from "../lib/errors.ts";
import { formatIssues } from "../wire/zod_issues.ts";

export type AppEnv = { Variables: { deps: Deps; caller: Caller } };
// deno-lint-ignore no-explicit-any
export type Ctx = Context<AppEnv, any, any>;
export type Method = "GET" | "POST" | "PUT" | "DELETE" | "PATCH";

/** A JSON or YAML document body, decoded; `raw` is kept for the YAML mirror. */
export interface DecodedDocument {
  value: unknown;
  raw: string;
  yaml: boolean;
}

/**
 * The request body of a route.
 * - `json`: read and validated at the edge; `c.req.valid("json")` is the parsed value.
 *   `optional`: an empty body counts as `{}` (and is validated as such).
 * - `document`: JSON, or YAML for the YAML content types, whose bytes are mirrored. Decoded
 *   at the edge (`c.req.valid("json")` is a `DecodedDocument`); the domain's create-boundary
 *   parser validates `value` with this same schema, after upstream's ordered checks (retired
 *   keys, shape selection) whose exact messages clients rely on.
 * - `multipart`: `multipart/form-data` with these fields; the handler reads the form, since
 *   uploads carry their own size limits and messages.
 */
export type BodyDecl =
  | { json: z.ZodType; optional?: boolean; description?: string }
  | { document: z.ZodType; description?: string }
  | { multipart: z.ZodType; description?: string };

export interface RequestDecl<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends BodyDecl = BodyDecl,
> {
  /** Path parameters, one key per `:name` of the path (all strings on the wire). */
  params?: P;
  /** Query parameters (strings on the wire); an invalid value answers 400, never a clamp. */
  query?: Q;
  body?: B;
}

/**
 * One response of a route, by status. A string is a description alone: no body for a 2xx
 * (204), the uniform `{error, status}` body for a 4xx/5xx. `json` is an
 * `application/json` body; `content` declares other media types (`text/plain`,
 * `application/yaml`, `application/octet-stream`, `text/event-stream`); `headers` names
 * response headers with their meaning.
 */
export type ResponseDecl = string | {
  description?: string;
  json?: z.ZodType;
  content?: Record<string, z.ZodType>;
  headers?: Record<string, string>;
};

export type ResponsesDecl = Record<number, ResponseDecl>;

type Out<S> = [S] extends [z.ZodType] ? z.output<S> : never;
type BodyOut<B> = [B] extends [{ json: infer S extends z.ZodType }] ? z.output<S>
  : [B] extends [{ document: z.ZodType }] ? DecodedDocument
  : never;

/** What `c.req.valid(...)` returns in a handler of a route with these schemas. */
export type RouteInput<P, Q, B> = {
  out: { param: Out<P>; query: Out<Q>; json: BodyOut<B> };
};

export interface RouteDef<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends BodyDecl = BodyDecl,
> {
  method: Method;
  /** Hono path syntax (`/api/jobs/:id/yaml`); README shows upstream's `{id}`. */
  path: string;
  /** Least role allowed; `public` skips authentication. */
  role: Role | "public";
  /**
   * Replaces the router's `resolveCaller` for this route (the caller still needs `role`):
   * `/metrics` also accepts its own scrape token.
   */
  authenticate?: (
    deps: Deps,
    authorization: string | undefined | null,
    source: string | undefined | null,
  ) => Promise<Caller>;
  /** Request body cap in bytes (default 1 MiB). */
  bodyLimit?: number;
  /**
   * The handler reads the body as a stream (GiB uploads): the cap is checked against
   * Content-Length up front and counted while the body streams, never buffered.
   */
  streamBody?: boolean;
  /**
   * Time until the router answers 503 instead of the handler (default
   * `config.requestTimeoutMs`); `0` = none, for routes that bound their own long waits
   * (`/api/run`, ping). Streaming responses (SSE) are unaffected once headers are sent.
   */
  timeoutMs?: number;
  /**
   * Open to an account that must change its password first (everything else answers 403
   * until it has): `GET /api/auth/me` and the password change itself.
   */
  allowPendingPasswordChange?: boolean;
  /** One line for the README route table and the API docs. */
  summary?: string;
  /** Request schemas, checked at the edge before the handler runs. */
  request?: RequestDecl<P, Q, B>;
  /** Response schemas by status (the OpenAPI document and the contract test read them). */
  responses?: ResponsesDecl;
  // deno-lint-ignore no-explicit-any
  handler: Handler<AppEnv, any, RouteInput<P, Q, B>>;
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** Types the handler's `c.req.valid(...)` from the declared schemas. */
export function defineRoute<
  P extends z.ZodType = never,
  Q extends z.ZodType = never,
  B extends BodyDecl = never,
>(def: RouteDef<P, Q, B>): RouteDef {
  return def as unknown as RouteDef;
}

const PARAM_DOCS: Record<string, string> = {
  pc_id: "the agent's id (its pc_id)",
  exec_id: "an execution id",
  result_id: "a result id",
  job_id: "a job (manifest) id",
  manifest_id: "a job (manifest) id with an `inventory` hint",
  id: "the resource id",
  name: "a name",
  group: "a group name",
  version: "a version",
  field: "an `inventory.explode[].field`",
};

/**
 * The path parameters of a route as a zod object: strings, never empty. Rules about their
 * form (KV key, subject token, version alphabet) belong to the domain, which answers 400
 * with its own message.
 */
export function pathParams<K extends string>(...names: K[]): z.ZodObject<Record<K, z.ZodString>> {
  const shape = Object.fromEntries(
    names.map((n) => [n, z.string().min(1).meta({ description: PARAM_DOCS[n] ?? n })]),
  );
  return z.object(shape) as z.ZodObject<Record<K, z.ZodString>>;
}

/**
 * The 200 of a paged list: a JSON array of `row`, `X-Total-Count` saying what it counts,
 * and any further headers (name → meaning). `sendPage` answers it.
 */
export function pagedResponse(
  row: z.ZodType,
  totalCounts: string,
  headers: Record<string, string> = {},
): ResponseDecl {
  return { json: z.array(row), headers: { "X-Total-Count": totalCounts, ...headers } };
}

/** One page of a list: its rows as the body, its total (and any `headers` set) as headers. */
export function sendPage(
  c: Ctx,
  page: { rows: unknown[]; total: number },
  headers: Record<string, number | undefined> = {},
): Response {
  c.header("X-Total-Count", String(page.total));
  for (const [name, v] of Object.entries(headers)) if (v !== undefined) c.header(name, String(v));
  return c.json(page.rows);
}

export const deps = (c: Ctx): Deps => c.get("deps");
export const caller = (c: Ctx): Caller => c.get("caller");

/** Validate already-decoded input; 400 with every issue on failure. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what = "body",
): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw badRequest(`invalid ${what}: ${formatIssues(r.error)}`);
  return r.data;
}

export async function readText(c: Ctx, limit = DEFAULT_BODY_LIMIT): Promise<string> {
  const buf = await c.req.arrayBuffer();
  if (buf.byteLength > limit) throw payloadTooLarge(`request body exceeds ${limit} bytes`);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(buf);
  } catch {
    throw badRequest("request body is not valid UTF-8");
  }
}

const YAML_TYPES = ["application/yaml", "text/yaml", "application/x-yaml", "text/x-yaml"];

export function isYamlRequest(c: Ctx): boolean {
  const ct = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  return YAML_TYPES.includes(ct);
}

/** Body as JSON, or as YAML for the YAML content types. Returns the raw text too. */
export async function readDocument(c: Ctx, limit = DEFAULT_BODY_LIMIT): Promise<DecodedDocument> {
  const raw = await readText(c, limit);
  const yaml = isYamlRequest(c);
  if (raw.trim() === "") throw badRequest("request body is empty");
  try {
    const value = yaml ? YAML.parse(raw, { maxAliasCount: 100 }) : JSON.parse(raw);
    return { value, raw, yaml };
  } catch (e) {
    throw badRequest(`invalid ${yaml ? "YAML" : "JSON"}: ${(e as Error).message}`);
  }
}

/** JSON body validated by `schema`; an empty body is parsed as `{}` when `emptyOk`. */
export async function readJson<S extends z.ZodType>(
  c: Ctx,
  schema: S,
  opts: { emptyOk?: boolean; limit?: number } = {},
): Promise<z.infer<S>> {
  const raw = await readText(c, opts.limit);
  let value: unknown = {};
  if (raw.trim() !== "") {
    try {
      value = JSON.parse(raw);
    } catch (e) {
      throw badRequest(`invalid JSON: ${(e as Error).message}`);
    }
  } else if (!opts.emptyOk) {
    throw badRequest("request body is empty");
  }
  return parseWith(schema, value);
}
