/** `/api/scripts/*`: script status (revoke / unrevoke). */
import type { RouteDef } from "../route.ts";
import { route as scriptsRevoke } from "./scripts_revoke.ts";
import { route as scriptsStatus } from "./scripts_status.ts";
import { route as scriptsUnrevoke } from "./scripts_unrevoke.ts";

export const routes: RouteDef[] = [
  scriptsRevoke,
  scriptsStatus,
  scriptsUnrevoke,
];
