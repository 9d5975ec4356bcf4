/**
 * `GET /api/schemas/<document>.json`: the JSON Schema of a create-boundary document,
 * generated from its zod schema on the first request and kept (the schema never changes
 * while the process runs).
 */
import { z } from "zod";
import { defineRoute, type RouteDef } from "./route.ts";

export function jsonSchemaRoute(
  path: string,
  summary: string,
  generate: () => Record<string, unknown>,
): RouteDef {
  let cached: Record<string, unknown> | null = null;
  return defineRoute({
    method: "GET",
    path,
    role: "viewer",
    summary,
    responses: {
      200: {
        description: "a JSON Schema (draft 2020-12)",
        json: z.record(z.string(), z.unknown()),
      },
    },
    handler: (c) => c.json(cached ??= generate()),
  });
}
