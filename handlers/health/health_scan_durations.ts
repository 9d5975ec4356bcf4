import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import {
  scanDurations,
  ScanDurationSchema,
  ScanDurationsQuerySchema,
} from "../../lib/reads/health.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/health/scan_durations",
  role: "viewer",
  summary: "per-job run durations since (default 24 h): count, min, p50, p95, p99, max, mean",
  request: { query: ScanDurationsQuerySchema },
  responses: { 200: { json: z.array(ScanDurationSchema) } },
  handler: async (c) => c.json(await scanDurations(deps(c).db, c.req.valid("query").since)),
});
export default standalone(route);
