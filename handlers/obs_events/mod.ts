/** `/api/obs_events` and `/api/obs_events/*`: observability events. */
import type { RouteDef } from "../route.ts";
import { route as obsKinds } from "./obs_kinds.ts";
import { route as obsList } from "./obs_list.ts";
import { route as obsRecent } from "./obs_recent.ts";
import { route as obsSources } from "./obs_sources.ts";

export const routes: RouteDef[] = [
  obsKinds,
  obsList,
  obsRecent,
  obsSources,
];
