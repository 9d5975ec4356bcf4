/** `/api/jobs` and `/api/jobs/*`: the job catalog. */
import type { RouteDef } from "../route.ts";
import { route as jobsCreate } from "./jobs_create.ts";
import { route as jobsDelete } from "./jobs_delete.ts";
import { route as jobsKill } from "./jobs_kill.ts";
import { route as jobsList } from "./jobs_list.ts";
import { route as jobsYaml } from "./jobs_yaml.ts";

export const routes: RouteDef[] = [
  jobsCreate,
  jobsDelete,
  jobsKill,
  jobsList,
  jobsYaml,
];
