/** `/api/config` and `/api/config/*`: the global agent-config scope and the built-in defaults. */
import type { RouteDef } from "../route.ts";
import { route as configDefaults } from "./config_defaults.ts";
import { route as configGlobalGet } from "./config_global_get.ts";
import { route as configGlobalPut } from "./config_global_put.ts";

export const routes: RouteDef[] = [
  configDefaults,
  configGlobalGet,
  configGlobalPut,
];
