import { z } from "zod";
import { defineRoute } from "../route.ts";
import { standalone } from "../standalone.ts";
import { openApiDocument } from "../openapi.ts";
import { BACKEND_VERSION, IMPLEMENTATION } from "../../lib/version.ts";

let cached: Promise<Record<string, unknown>> | null = null;

/** Built once, on first use: `routes.ts` lists this file too, so it is imported lazily. */
function documentOnce(): Promise<Record<string, unknown>> {
  return cached ??= import("../routes.ts").then(({ allRoutes }) =>
    openApiDocument(allRoutes, {
      title: "kanade backend API",
      version: BACKEND_VERSION,
      description:
        `${IMPLEMENTATION}: the HTTP API of kanade-backend ${BACKEND_VERSION}, generated from the route definitions. Errors answer {"error", "status"}; a malformed or out-of-range parameter is a 400.`,
    })
  );
}

export const route = defineRoute({
  method: "GET",
  path: "/api/openapi.json",
  role: "viewer",
  summary: "OpenAPI 3.1 document of every route, generated from the route definitions",
  responses: {
    200: {
      description: "the OpenAPI 3.1 document",
      json: z.looseObject({
        openapi: z.literal("3.1.0"),
        info: z.looseObject({ title: z.string(), version: z.string() }),
        paths: z.record(z.string(), z.record(z.string(), z.unknown())),
      }),
    },
  },
  handler: async (c) => c.json(await documentOnce()),
});
export default standalone(route);
