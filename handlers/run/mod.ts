/** `/api/run`: an ad-hoc script on one PC. */
import type { RouteDef } from "../route.ts";
import { route as run } from "./run.ts";

export const routes: RouteDef[] = [
  run,
];
