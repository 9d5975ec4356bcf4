/**
 * Every API route of the backend. Handler folders follow the first URL segment
 * (`/api/<segment>/…` lives in `handlers/<segment>/`, a dash becoming `_`); each folder's
 * `mod.ts` lists its handler files.
 */
import type { RouteDef } from "./route.ts";
import { routes as accounts } from "./accounts/mod.ts";
import { routes as agents } from "./agents/mod.ts";
import { routes as alerts } from "./alerts/mod.ts";
import { routes as appPackages } from "./app_packages/mod.ts";
import { routes as audit } from "./audit/mod.ts";
import { routes as auth } from "./auth/mod.ts";
import { routes as checks } from "./checks/mod.ts";
import { routes as config } from "./config/mod.ts";
import { routes as events } from "./events/mod.ts";
import { routes as exec } from "./exec/mod.ts";
import { routes as executions } from "./executions/mod.ts";
import { routes as freeze } from "./freeze/mod.ts";
import { routes as groups } from "./groups/mod.ts";
import { routes as health } from "./health/mod.ts";
import { routes as inventory } from "./inventory/mod.ts";
import { routes as jetstream } from "./jetstream/mod.ts";
import { routes as jobs } from "./jobs/mod.ts";
import { routes as metrics } from "./metrics/mod.ts";
import { routes as notifications } from "./notifications/mod.ts";
import { routes as obsEvents } from "./obs_events/mod.ts";
import { routes as openapi } from "./openapi/mod.ts";
import { routes as pcs } from "./pcs/mod.ts";
import { routes as perf } from "./perf/mod.ts";
import { routes as results } from "./results/mod.ts";
import { routes as run } from "./run/mod.ts";
import { routes as schedules } from "./schedules/mod.ts";
import { routes as schemas } from "./schemas/mod.ts";
import { routes as scriptObjects } from "./script_objects/mod.ts";
import { routes as scripts } from "./scripts/mod.ts";
import { routes as version } from "./version/mod.ts";

export const allRoutes: RouteDef[] = [
  ...accounts,
  ...agents,
  ...alerts,
  ...appPackages,
  ...audit,
  ...auth,
  ...checks,
  ...config,
  ...events,
  ...exec,
  ...executions,
  ...freeze,
  ...groups,
  ...health,
  ...inventory,
  ...jetstream,
  ...jobs,
  ...metrics,
  ...notifications,
  ...obsEvents,
  ...openapi,
  ...pcs,
  ...perf,
  ...results,
  ...run,
  ...schedules,
  ...schemas,
  ...scriptObjects,
  ...scripts,
  ...version,
];
