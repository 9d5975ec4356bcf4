/** `/api/exec/*`: fire a catalog job. */
import type { RouteDef } from "../route.ts";
import { route as exec } from "./exec.ts";

export const routes: RouteDef[] = [
  exec,
];
