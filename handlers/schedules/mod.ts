import type { RouteDef } from "../route.ts";
import { route as schedulesList } from "./schedules_list.ts";
import { route as schedulesCreate } from "./schedules_create.ts";
import { route as schedulesUpcoming } from "./schedules_upcoming.ts";
import { route as scheduleYaml } from "./schedule_yaml.ts";
import { route as scheduleDelete } from "./schedule_delete.ts";
import { route as scheduleEnable } from "./schedule_enable.ts";
import { route as scheduleDisable } from "./schedule_disable.ts";
import { route as schemaSchedule } from "./schema_schedule.ts";
import { route as freezeGet } from "./freeze_get.ts";
import { route as freezePut } from "./freeze_put.ts";
import { route as freezeDelete } from "./freeze_delete.ts";

export const routes: RouteDef[] = [
  schedulesList,
  schedulesCreate,
  schedulesUpcoming,
  scheduleYaml,
  scheduleDelete,
  scheduleEnable,
  scheduleDisable,
  schemaSchedule,
  freezeGet,
  freezePut,
  freezeDelete,
];
