/** Every API route of the backend, by area. Each area's `mod.ts` lists its handler files. */
import type { RouteDef } from "./route.ts";
import { routes as infra } from "./infra/mod.ts";
import { routes as catalog } from "./catalog/mod.ts";
import { routes as reads } from "./reads/mod.ts";
import { routes as schedules } from "./schedules/mod.ts";
import { routes as fleet } from "./fleet/mod.ts";
import { routes as checks } from "./checks/mod.ts";
import { routes as notifications } from "./notifications/mod.ts";
import { routes as appPackages } from "./app_packages/mod.ts";
import { routes as auth } from "./auth/mod.ts";
import { routes as accounts } from "./accounts/mod.ts";

export const allRoutes: RouteDef[] = [
  ...infra,
  ...catalog,
  ...reads,
  ...schedules,
  ...fleet,
  ...checks,
  ...notifications,
  ...appPackages,
  ...auth,
  ...accounts,
];
