/** `/metrics`: the Prometheus scrape (outside /api by convention, like `/health`). */
import type { RouteDef } from "../route.ts";
import { route as metrics } from "./metrics.ts";

export const routes: RouteDef[] = [
  metrics,
];
