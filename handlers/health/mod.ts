/** `/health` (liveness) and `/api/health/*` (fleet health, scan durations). */
import type { RouteDef } from "../route.ts";
import { route as health } from "./health.ts";
import { route as healthFleet } from "./health_fleet.ts";
import { route as healthScanDurations } from "./health_scan_durations.ts";

export const routes: RouteDef[] = [
  health,
  healthFleet,
  healthScanDurations,
];
