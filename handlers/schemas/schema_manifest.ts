import { z } from "zod";
import { defineRoute } from "../route.ts";
import { standalone } from "../standalone.ts";
import { manifestJsonSchema } from "../../wire/manifest.ts";

let cached: Record<string, unknown> | null = null;

export const route = defineRoute({
  method: "GET",
  path: "/api/schemas/manifest.json",
  role: "viewer",
  summary: "JSON Schema of a job manifest (generated from the zod create-boundary schema)",
  responses: {
    200: { description: "a JSON Schema (draft 2020-12)", json: z.record(z.string(), z.unknown()) },
  },
  handler: (c) => c.json(cached ??= manifestJsonSchema()),
});
export default standalone(route);
