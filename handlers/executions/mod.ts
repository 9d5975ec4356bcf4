/** `/api/executions` and `/api/executions/*`: executions and their kill. */
import type { RouteDef } from "../route.ts";
import { route as executionDetail } from "./execution_detail.ts";
import { route as executionKill } from "./execution_kill.ts";
import { route as executionsList } from "./executions_list.ts";

export const routes: RouteDef[] = [
  executionDetail,
  executionKill,
  executionsList,
];
