/**
 * Edge validation: a request's path parameters, query and body are checked against its
 * `RouteDef` schemas before the handler runs, and the parsed values are handed over through
 * `c.req.valid(...)`. Every failure is a 400 with one message shape,
 * `invalid <path|query|body>: <param>: <rule>[; …]` (wire/zod_issues.ts), and never a
 * silent clamp or default for a value that was given.
 */
import type { MiddlewareHandler } from "hono";
import { type AppEnv, DEFAULT_BODY_LIMIT, parseWith, readDocument, readJson } from "./route.ts";
import type { RouteDef } from "./route.ts";

/** The middleware that checks `r`'s declared request schemas; null when it declares none. */
export function validateRequest(r: RouteDef): MiddlewareHandler<AppEnv> | null {
  const req = r.request;
  if (!req?.params && !req?.query && !req?.body) return null;
  const limit = r.bodyLimit ?? DEFAULT_BODY_LIMIT;
  return async (c, next) => {
    if (req.params) {
      c.req.addValidatedData("param", parseWith(req.params, c.req.param(), "path") as object);
    }
    if (req.query) {
      c.req.addValidatedData("query", parseWith(req.query, c.req.query(), "query") as object);
    }
    const body = req.body;
    if (body && "json" in body) {
      const value = await readJson(c, body.json, { emptyOk: body.optional, limit });
      c.req.addValidatedData("json", value as object);
    } else if (body && "document" in body) {
      c.req.addValidatedData("json", await readDocument(c, limit));
    }
    await next();
  };
}
