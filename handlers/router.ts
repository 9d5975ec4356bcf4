/**
 * The thin router: mounts every RouteDef (literal segments before parameters, so
 * `/api/agents/releases` wins over `/api/agents/:pc_id`), authenticates `/api/*`, checks
 * roles, caps bodies, and maps errors to JSON in one `onError`.
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { Deps } from "../lib/deps.ts";
import { ApiError, payloadTooLarge } from "../lib/errors.ts";
import { authenticate, requireRole } from "../lib/auth.ts";
import { type AppEnv, DEFAULT_BODY_LIMIT, type RouteDef } from "./route.ts";
import { isBusy } from "../db/client.ts";

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

export interface BuildOptions {
  /** Serves `static/` for every non-API path (the dashboard). */
  staticHandler?: (req: Request) => Promise<Response>;
}

export function errorResponse(status: number, message: string, headers?: Record<string, string>) {
  return new Response(JSON.stringify({ error: message, status }), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

export function buildApp(deps: Deps, routes: RouteDef[], opts: BuildOptions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.onError((err, c) => {
    if (err instanceof ApiError) return errorResponse(err.status, err.message, err.headers);
    if (err instanceof HTTPException) {
      return errorResponse(err.status, err.message || "request failed");
    }
    if (isBusy(err)) {
      deps.log.warn("database busy", { path: c.req.path, err });
      return errorResponse(503, "database busy, retry shortly", { "retry-after": "1" });
    }
    deps.log.error("unhandled error", { method: c.req.method, path: c.req.path, err });
    return errorResponse(500, "internal error");
  });

  app.use("*", async (c, next) => {
    c.set("deps", deps);
    c.set("caller", { sub: null, roles: [], source: c.req.header("x-kanade-source") ?? null });
    await next();
  });

  const sorted = [...routes].sort(routeOrder);
  for (const r of sorted) {
    const limit = r.bodyLimit ?? DEFAULT_BODY_LIMIT;
    app.on(
      r.method,
      r.path,
      async (c, next) => {
        if (r.role !== "public") {
          const who = await authenticate(
            deps.config,
            c.req.header("authorization"),
            c.req.header("x-kanade-source"),
          );
          requireRole(who, r.role);
          c.set("caller", who);
        }
        await next();
      },
      bodyLimit({
        maxSize: limit,
        onError: () => {
          throw payloadTooLarge(`request body exceeds ${limit} bytes`);
        },
      }),
      r.handler,
    );
  }

  // Unknown API paths: authenticate first (no route probing without a token), then 404.
  app.all("/api/*", async (c) => {
    await authenticate(deps.config, c.req.header("authorization"), c.req.header("x-kanade-source"));
    const known = sorted.some((r) =>
      new URLPattern({ pathname: r.path }).test({ pathname: c.req.path })
    );
    return known
      ? errorResponse(405, `method ${c.req.method} not allowed on ${c.req.path}`)
      : errorResponse(404, `no route ${c.req.method} ${c.req.path}`);
  });

  if (opts.staticHandler) {
    const serve = opts.staticHandler;
    app.all("*", (c) => serve(c.req.raw));
  }
  return app;
}
