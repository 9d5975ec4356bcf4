/**
 * The thin router: mounts every RouteDef (literal segments before parameters, so
 * `/api/agents/releases` wins over `/api/agents/:pc_id`), authenticates `/api/*`, checks
 * roles, caps bodies, bounds handler time, checks params/query/body against the route's
 * zod schemas (`validate.ts`), adds security headers to API responses, and
 * maps every error — ours, Hono's and unexpected ones — to `{"error","status"}` JSON in
 * one place. Nothing internal (stack, SQL, driver message) ever reaches a response.
 */
import { Hono } from "hono";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { routePath } from "hono/route";
import type { Deps } from "../lib/deps.ts";
import {
  ConflictError,
  DomainError,
  forbidden,
  ForbiddenError,
  InternalError,
  NotFoundError,
  payloadTooLarge,
  PayloadTooLargeError,
  PreconditionFailedError,
  RangeNotSatisfiableError,
  TimeoutError,
  TooManyRequestsError,
  UnauthenticatedError,
  unavailable,
  UnavailableError,
  UpstreamError,
  UpstreamTimeoutError,
  ValidationError,
} from "../lib/errors.ts";
import { cleanSource, requireRole } from "../lib/auth.ts";
import { resolveCaller } from "../lib/accounts/caller.ts";
import { type AppEnv, DEFAULT_BODY_LIMIT, type RouteDef } from "./route.ts";
import { validateRequest } from "./validate.ts";
import { isBusy } from "../db/client.ts";
import { isDbUnavailable } from "../db/remote.ts";
import { isBrokerUnavailable } from "../lib/nats.ts";
import { observeHttp } from "../lib/metrics.ts";

/** Sort key: compare segment by segment, literal before `:param` before wildcard. */
export function routeOrder(a: RouteDef, b: RouteDef): number {
  const sa = a.path.split("/");
  const sb = b.path.split("/");
  for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
    const x = sa[i], y = sb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const kx = x.startsWith(":") ? 1 : x === "*" ? 2 : 0;
    const ky = y.startsWith(":") ? 1 : y === "*" ? 2 : 0;
    if (kx !== ky) return kx - ky;
    if (kx === 0 && x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Does a concrete request path fit a route path's shape (for 405 vs 404)? */
export function pathFits(routePath: string, path: string): boolean {
  const rs = routePath.split("/");
  const ps = path.split("/");
  for (let i = 0; i < rs.length; i++) {
    if (rs[i] === "*") return true;
    if (ps[i] === undefined) return false;
    if (rs[i].startsWith(":")) {
      if (ps[i] === "") return false;
      continue;
    }
    if (rs[i] !== ps[i]) return false;
  }
  return rs.length === ps.length;
}

export interface BuildOptions {
  /** Serves `static/` for every non-API path (the dashboard). */
  staticHandler?: (req: Request) => Promise<Response>;
}

/** Headers on every API response: no sniffing, no caching of data, no framing. */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
};

export function errorResponse(status: number, message: string, headers?: Record<string, string>) {
  return new Response(JSON.stringify({ error: message, status }), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/**
 * The one map from a domain error's condition to its HTTP status (lib/errors.ts keeps the
 * conditions free of HTTP). An unknown DomainError subclass answers 500.
 */
const STATUS_OF: readonly (readonly [abstract new (...a: never[]) => DomainError, number])[] = [
  [ValidationError, 400],
  [UnauthenticatedError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [TimeoutError, 408],
  [ConflictError, 409],
  [PayloadTooLargeError, 413],
  [PreconditionFailedError, 412],
  [RangeNotSatisfiableError, 416],
  [TooManyRequestsError, 429],
  [InternalError, 500],
  [UpstreamError, 502],
  [UnavailableError, 503],
  [UpstreamTimeoutError, 504],
];

export function statusOf(err: DomainError): number {
  for (const [cls, status] of STATUS_OF) if (err instanceof cls) return status;
  return 500;
}

/** Headers a condition adds: the RFC 6750 challenge, when to retry a transient failure. */
function headersOf(err: DomainError): Record<string, string> {
  if (err instanceof UnauthenticatedError) return { "www-authenticate": 'Bearer realm="kanade"' };
  if (err instanceof UnavailableError) return { "retry-after": String(err.retryAfterSecs ?? 1) };
  if (err instanceof RangeNotSatisfiableError) return { "content-range": `bytes */${err.total}` };
  if (err instanceof TooManyRequestsError) return { "retry-after": String(err.retryAfterSecs) };
  return {};
}

/** Driver, SQL and stack text that must never reach a client, even inside a DomainError. */
const INTERNALS_RE = /SQLITE_|LibsqlError|\bSELECT\b.+\bFROM\b|\bINSERT INTO\b|\n\s+at |file:\/\//i;

export function safeMessage(status: number, message: string): string {
  return status >= 500 && INTERNALS_RE.test(message) ? "internal error" : message;
}

/** Reading the body of a request whose client has gone (aborted upload, truncated body). */
function isClientGone(err: unknown): boolean {
  return err instanceof Deno.errors.BadResource || err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.BrokenPipe || err instanceof Deno.errors.UnexpectedEof ||
    (err instanceof Error && err.name === "Http");
}

function isApiPath(path: string) {
  return path === "/api" || path.startsWith("/api/") || path === "/health" || path === "/metrics";
}

/**
 * Body cap for a streamed body: Content-Length above `limit` is 413 at once; otherwise the
 * body is counted as the handler reads it and errors with a 413 past the cap. Hono's
 * `bodyLimit` buffers a body without Content-Length, which a GiB upload must never do.
 */
function streamedBodyLimit(limit: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const raw = c.req.raw;
    if (!raw.body) return await next();
    const declared = raw.headers.get("content-length");
    if (declared !== null && !raw.headers.has("transfer-encoding")) {
      if (Number(declared) > limit) throw payloadTooLarge(`request body exceeds ${limit} bytes`);
      return await next();
    }
    let seen = 0;
    const counted = raw.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, ctl) {
          seen += chunk.byteLength;
          if (seen > limit) ctl.error(payloadTooLarge(`request body exceeds ${limit} bytes`));
          else ctl.enqueue(chunk);
        },
      }),
    );
    c.req.raw = new Request(raw, { body: counted });
    await next();
  };
}

/** Race the rest of the chain against `ms`; the late outcome of a loser is swallowed. */
function timeoutMiddleware(ms: number): MiddlewareHandler<AppEnv> {
  return async (_c, next) => {
    if (!(ms > 0)) return await next();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = next();
    run.catch(() => {}); // a timed-out handler may still fail later: never unhandled
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            unavailable(`request timed out after ${ms} ms; retry shortly`, undefined),
          ),
        ms,
      );
    });
    try {
      await Promise.race([run, expired]);
    } finally {
      clearTimeout(timer);
    }
  };
}

export function buildApp(deps: Deps, routes: RouteDef[], opts: BuildOptions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.onError((err, c) => {
    if (err instanceof DomainError) {
      const status = statusOf(err);
      if (status >= 500) deps.log.warn("request failed", { path: c.req.path, err });
      return errorResponse(status, safeMessage(status, err.message), headersOf(err));
    }
    if (err instanceof HTTPException) {
      // Hono's own (body limit, malformed input): keep its status, never its internals.
      const status = err.status >= 400 && err.status < 600 ? err.status : 400;
      return errorResponse(status, status >= 500 ? "request failed" : err.message || "bad request");
    }
    if (isBusy(err)) {
      deps.log.warn("database busy", { path: c.req.path, err });
      return errorResponse(503, "database busy, retry shortly", { "retry-after": "1" });
    }
    if (isDbUnavailable(err)) {
      // A remote libSQL server restarting or out of reach: transient, like busy.
      deps.log.warn("database unavailable", { path: c.req.path, err });
      return errorResponse(503, "database unavailable, retry shortly", { "retry-after": "2" });
    }
    if (isBrokerUnavailable(err)) {
      // A NATS timeout or no-responders (e.g. a JetStream leader election): transient.
      deps.log.warn("broker unavailable", { path: c.req.path, err });
      return errorResponse(503, "message broker unavailable, retry shortly", {
        "retry-after": "2",
      });
    }
    if (isClientGone(err)) {
      // The client closed the connection mid-body: nobody reads this answer; not a crash.
      deps.log.warn("request body unreadable", { path: c.req.path, err });
      return errorResponse(400, "request body could not be read (connection closed?)");
    }
    if (err instanceof URIError) {
      return errorResponse(400, "malformed percent-encoding in the request URL");
    }
    deps.log.error("unhandled error", { method: c.req.method, path: c.req.path, err });
    return errorResponse(500, "internal error");
  });

  app.notFound((c) => errorResponse(404, `no route ${c.req.method} ${c.req.path}`));

  app.use("*", async (c, next) => {
    c.set("deps", deps);
    c.set("caller", { sub: null, roles: [], source: cleanSource(c.req.header("x-kanade-source")) });
    const started = performance.now();
    await next();
    // The route pattern that answered (bounded labels); "/*" is the dashboard's static files.
    const route = routePath(c);
    const label = route === "/*" || route === "*" ? "static" : route;
    observeHttp(c.req.method, label, c.res.status, (performance.now() - started) / 1000);
    if (!isApiPath(c.req.path)) return;
    let res = c.res;
    try {
      for (const [k, v] of Object.entries(API_SECURITY_HEADERS)) {
        if (k === "cache-control" && res.headers.has(k)) continue; // a route chose its own
        res.headers.set(k, v);
      }
    } catch {
      // Immutable headers (a fetched response passed through): copy once, then set.
      res = new Response(res.body, res);
      for (const [k, v] of Object.entries(API_SECURITY_HEADERS)) {
        if (!res.headers.has(k)) res.headers.set(k, v);
      }
      c.res = res;
    }
  });

  const sorted = [...routes].sort(routeOrder);
  for (const r of sorted) {
    const limit = r.bodyLimit ?? DEFAULT_BODY_LIMIT;
    const validate = validateRequest(r);
    app.on(
      r.method,
      r.path,
      async (c, next) => {
        if (r.role !== "public") {
          const who = await (r.authenticate ?? resolveCaller)(
            deps,
            c.req.header("authorization"),
            c.req.header("x-kanade-source"),
          );
          requireRole(who, r.role);
          if (who.mustChangePw && !r.allowPendingPasswordChange) {
            throw forbidden("password change required: POST /api/auth/change-password first");
          }
          c.set("caller", who);
        }
        await next();
      },
      r.streamBody ? streamedBodyLimit(limit) : bodyLimit({
        maxSize: limit,
        onError: () => {
          throw payloadTooLarge(`request body exceeds ${limit} bytes`);
        },
      }),
      timeoutMiddleware(r.timeoutMs ?? deps.config.requestTimeoutMs),
      ...(validate ? [validate] : []),
      r.handler,
    );
  }

  // Unknown API paths: authenticate first (no route probing without a token), then 404,
  // or 405 with `allow` when the path exists under another method.
  app.all("/api/*", async (c) => {
    await resolveCaller(deps, c.req.header("authorization"), c.req.header("x-kanade-source"));
    const methods: string[] = [
      ...new Set(sorted.filter((r) => pathFits(r.path, c.req.path)).map((r) => r.method)),
    ];
    if (methods.includes("GET")) methods.push("HEAD");
    return methods.length
      ? errorResponse(405, `method ${c.req.method} not allowed on ${c.req.path}`, {
        allow: methods.join(", "),
      })
      : errorResponse(404, `no route ${c.req.method} ${c.req.path}`);
  });

  if (opts.staticHandler) {
    const serve = opts.staticHandler;
    app.all("*", (c) => serve(c.req.raw));
  }
  return app;
}
