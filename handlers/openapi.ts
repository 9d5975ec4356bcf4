/**
 * The OpenAPI 3.1 document of the API, generated from the route definitions: each
 * `RouteDef`'s zod schemas become JSON Schema (2020-12, the dialect of OpenAPI 3.1) with
 * `z.toJSONSchema`, each as the JSON on the wire (query strings with their defaults and
 * ranges, bodies as sent). Pure: the route list in, the document out.
 */
import { z } from "zod";
import type { BodyDecl, ResponseDecl, RouteDef } from "./route.ts";
import { routeOrder } from "./router.ts";

type Json = Record<string, unknown>;

/** The body of every 4xx/5xx answer (router.ts `errorResponse`). */
export const ErrorBodySchema = z.strictObject({
  error: z.string().meta({ description: "what went wrong, for a human" }),
  status: z.number().int().meta({ description: "the HTTP status again" }),
});

/** Hono `:id` (optionally `:id{regex}`) → OpenAPI `{id}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, "{$1}");
}

/** The names of a path's parameters, in order. */
export function pathParamNames(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]);
}

/**
 * Renders zod schemas as JSON Schema for one document. A recursive schema comes back from
 * zod with its own `$defs` and `#/$defs/…` references, which in an OpenAPI document would
 * point at the document root: they are hoisted into `components/schemas` (one entry per
 * distinct definition) and the references rewritten.
 */
export class SchemaRenderer {
  readonly components: Record<string, Json> = {};
  #names = new Map<string, string>();

  render(schema: z.ZodType): Json {
    // Every schema is rendered as the JSON on the wire: the input a request schema parses,
    // and the input a response schema would parse (transforms and defaults are the
    // server's business). zod's own dialect marker goes: the document sets it once.
    const { $schema: _, $defs, ...out } = z.toJSONSchema(schema, {
      target: "draft-2020-12",
      io: "input",
      unrepresentable: "any",
    }) as Json & { $defs?: Record<string, Json> };
    if (!$defs) return out;
    const renamed = new Map<string, string>();
    for (const [key, def] of Object.entries($defs)) {
      renamed.set(key, this.#nameFor(key, def));
    }
    const rewrite = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(rewrite);
      if (!v || typeof v !== "object") return v;
      const o = v as Json;
      const m = typeof o.$ref === "string" ? /^#\/\$defs\/(.+)$/.exec(o.$ref) : null;
      if (m && renamed.has(m[1])) {
        return { ...o, $ref: `#/components/schemas/${renamed.get(m[1])}` };
      }
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, rewrite(x)]));
    };
    for (const [key, def] of Object.entries($defs)) {
      this.components[renamed.get(key)!] ??= rewrite(def) as Json;
    }
    return rewrite(out) as Json;
  }

  #nameFor(key: string, def: Json): string {
    const content = JSON.stringify(def);
    const known = this.#names.get(content);
    if (known) return known;
    const base = key.startsWith("__schema") ? "Schema" : key;
    let name = base;
    for (let i = 1; name in this.components || [...this.#names.values()].includes(name); i++) {
      name = `${base}${i}`;
    }
    this.#names.set(content, name);
    return name;
  }
}

/** The first URL segment after `/api` groups the routes (`/health` is its own). */
export function routeTag(path: string): string {
  const segs = path.split("/").filter(Boolean);
  return (segs[0] === "api" ? segs[1] : segs[0]) ?? "api";
}

/** `GET /api/jobs/:id/yaml` → `get_jobs_id_yaml`: stable, unique per method and path. */
export function operationId(r: RouteDef): string {
  const rest = r.path.replace(/^\/api\//, "/").replace(/\{[^}]*\}/g, "");
  const words = rest.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return [r.method.toLowerCase(), ...words].join("_");
}

function parameters(r: RouteDef, sr: SchemaRenderer): Json[] {
  const out: Json[] = [];
  const add = (where: "path" | "query", schema: z.ZodType | undefined) => {
    if (!schema) return;
    const js = sr.render(schema);
    const props = (js.properties ?? {}) as Record<string, Json>;
    const required = new Set((js.required ?? []) as string[]);
    for (const [name, p] of Object.entries(props)) {
      const { description, ...rest } = p;
      out.push({
        name,
        in: where,
        required: where === "path" || required.has(name),
        ...(description ? { description } : {}),
        schema: rest,
      });
    }
  };
  add("path", r.request?.params);
  add("query", r.request?.query);
  return out;
}

function requestBody(body: BodyDecl, sr: SchemaRenderer): Json {
  const content: Json = {};
  let required = true;
  if ("json" in body) {
    content["application/json"] = { schema: sr.render(body.json) };
    required = !body.optional;
  } else if ("document" in body) {
    const schema = sr.render(body.document);
    content["application/json"] = { schema };
    content["application/yaml"] = { schema };
  } else {
    content["multipart/form-data"] = { schema: sr.render(body.multipart) };
  }
  const description = [
    body.description,
    "document" in body ? "YAML also as text/yaml, application/x-yaml or text/x-yaml." : "",
  ].filter(Boolean).join(" ");
  return { required, ...(description ? { description } : {}), content };
}

const DEFAULT_DESCRIPTIONS: Record<number, string> = {
  200: "OK",
  201: "Created",
  204: "No content",
  400: "Invalid input: `invalid <path|query|body>: <name>: <rule>`",
  401: "Missing or invalid bearer token",
  403: "The token's role is below the route's",
  404: "Not found",
  408: "Timed out waiting for the agent",
  409: "Conflict",
  413: "Request body over the route's cap",
  500: "Internal error (no internals in the message)",
  502: "The agent or broker answered badly",
  503: "Transient: database busy, broker unavailable or request timeout; retry (retry-after)",
  504: "The agent did not answer in time",
};

function response(status: number, d: ResponseDecl, sr: SchemaRenderer): Json {
  const isError = status >= 400;
  const errorContent = {
    "application/json": { schema: { $ref: "#/components/schemas/Error" } },
  };
  if (typeof d === "string") {
    return { description: d, ...(isError ? { content: errorContent } : {}) };
  }
  const content: Json = {};
  if (d.json) content["application/json"] = { schema: sr.render(d.json) };
  for (const [type, schema] of Object.entries(d.content ?? {})) {
    content[type] = { schema: sr.render(schema) };
  }
  const headers: Json = {};
  for (const [name, description] of Object.entries(d.headers ?? {})) {
    headers[name] = { description, schema: { type: "string" } };
  }
  return {
    description: d.description ?? DEFAULT_DESCRIPTIONS[status] ?? String(status),
    ...(Object.keys(headers).length ? { headers } : {}),
    ...(Object.keys(content).length ? { content } : isError ? { content: errorContent } : {}),
  };
}

/** Statuses the router itself may answer for this route, beside the declared ones. */
function routerStatuses(r: RouteDef): number[] {
  const s: number[] = [];
  if (r.request?.params || r.request?.query || r.request?.body) s.push(400);
  if (r.role !== "public") s.push(401, 403);
  if (r.request?.body) s.push(413);
  if (r.path.startsWith("/api/")) s.push(503);
  return s;
}

function operation(r: RouteDef, sr: SchemaRenderer): Json {
  const responses: Json = {};
  const declared = r.responses ?? {};
  for (const [status, d] of Object.entries(declared)) responses[status] = response(+status, d, sr);
  for (const status of routerStatuses(r)) {
    responses[status] ??= response(status, DEFAULT_DESCRIPTIONS[status], sr);
  }
  const params = parameters(r, sr);
  return {
    operationId: operationId(r),
    summary: r.summary ?? "",
    description: `Least role: **${r.role}**.`,
    tags: [routeTag(r.path)],
    "x-kanade-role": r.role,
    security: r.role === "public" ? [] : [{ bearer: [] }],
    ...(params.length ? { parameters: params } : {}),
    ...(r.request?.body ? { requestBody: requestBody(r.request.body, sr) } : {}),
    responses,
  };
}

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

/** The whole document; paths and operations in the router's order. */
export function openApiDocument(routes: readonly RouteDef[], info: OpenApiInfo): Json {
  const paths: Record<string, Json> = {};
  const sr = new SchemaRenderer();
  const sorted = [...routes].sort((a, b) => routeOrder(a, b) || a.method.localeCompare(b.method));
  for (const r of sorted) {
    const p = (paths[openApiPath(r.path)] ??= {});
    p[r.method.toLowerCase()] = operation(r, sr);
  }
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info,
    tags: [...new Set(sorted.map((r) => routeTag(r.path)))].map((name) => ({ name })),
    paths,
    components: {
      schemas: { Error: sr.render(ErrorBodySchema), ...sr.components },
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description:
            "`Authorization: Bearer <token>`: the static token, or an HS256 JWT (aud kanade, exp, roles)",
        },
      },
    },
  };
}
