/** `/api/schemas/*`: JSON Schemas of the create-boundary documents. */
import type { RouteDef } from "../route.ts";
import { route as schemaManifest } from "./schema_manifest.ts";
import { route as schemaSchedule } from "./schema_schedule.ts";

export const routes: RouteDef[] = [
  schemaManifest,
  schemaSchedule,
];
