/** `/api/perf/*`: fleet-wide performance. */
import type { RouteDef } from "../route.ts";
import { route as perfFleet } from "./perf_fleet.ts";
import { route as perfInvestigations } from "./perf_investigations.ts";
import { route as perfTop } from "./perf_top.ts";

export const routes: RouteDef[] = [
  perfFleet,
  perfInvestigations,
  perfTop,
];
