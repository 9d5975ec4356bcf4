/** `/api/schedules` and `/api/schedules/*`: backend schedules. */
import type { RouteDef } from "../route.ts";
import { route as scheduleDelete } from "./schedule_delete.ts";
import { route as scheduleDisable } from "./schedule_disable.ts";
import { route as scheduleEnable } from "./schedule_enable.ts";
import { route as scheduleYaml } from "./schedule_yaml.ts";
import { route as schedulesCreate } from "./schedules_create.ts";
import { route as schedulesList } from "./schedules_list.ts";
import { route as schedulesUpcoming } from "./schedules_upcoming.ts";

export const routes: RouteDef[] = [
  scheduleDelete,
  scheduleDisable,
  scheduleEnable,
  scheduleYaml,
  schedulesCreate,
  schedulesList,
  schedulesUpcoming,
];
