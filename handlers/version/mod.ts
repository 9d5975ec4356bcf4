/** `/api/version`: the protocol level. */
import type { RouteDef } from "../route.ts";
import { route as version } from "./version.ts";

export const routes: RouteDef[] = [
  version,
];
