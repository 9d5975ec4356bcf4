/**
 * The contract of a handler file: one `RouteDef` (method, path, role, handler).
 * `handlers/router.ts` mounts every route; `standalone()` serves one route alone.
 * Helpers here parse input at the edge (zod) and throw `ApiError` on bad input.
 */
import type { Context, Handler } from "hono";
import type { z } from "zod";
import YAML from "yaml";
import type { Deps } from "../lib/deps.ts";
import type { Caller, Role } from "../lib/auth.ts";
import { badRequest, payloadTooLarge } from "../lib/errors.ts";

export type AppEnv = { Variables: { deps: Deps; caller: Caller } };
export type Ctx = Context<AppEnv>;
export type Method = "GET" | "POST" | "PUT" | "DELETE" | "PATCH";

export interface RouteDef {
  method: Method;
  /** Hono path syntax (`/api/jobs/:id/yaml`); README shows upstream's `{id}`. */
  path: string;
  /** Least role allowed; `public` skips authentication. */
  role: Role | "public";
  /** Request body cap in bytes (default 1 MiB). */
  bodyLimit?: number;
  /**
   * Time until the router answers 503 instead of the handler (default
   * `config.requestTimeoutMs`); `0` = none, for routes that bound their own long waits
   * (`/api/run`, ping). Streaming responses (SSE) are unaffected once headers are sent.
   */
  timeoutMs?: number;
  /** One line for the README route table. */
  summary?: string;
  handler: Handler<AppEnv>;
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export function defineRoute(def: RouteDef): RouteDef {
  return def;
}

export const deps = (c: Ctx): Deps => c.get("deps");
export const caller = (c: Ctx): Caller => c.get("caller");

function zodMessage(err: z.ZodError): string {
  return err.issues
    .map((i) => `${i.path.length ? i.path.join(".") + ": " : ""}${i.message}`)
    .join("; ");
}

/** Validate already-decoded input; 400 with every issue on failure. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what = "body",
): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw badRequest(`invalid ${what}: ${zodMessage(r.error)}`);
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
export async function readDocument(
  c: Ctx,
): Promise<{ value: unknown; raw: string; yaml: boolean }> {
  const raw = await readText(c);
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
  opts: { emptyOk?: boolean } = {},
): Promise<z.infer<S>> {
  const raw = await readText(c);
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

/** Query parameters validated by `schema` (all values are strings). */
export function readQuery<S extends z.ZodType>(c: Ctx, schema: S): z.infer<S> {
  return parseWith(schema, c.req.query(), "query");
}
