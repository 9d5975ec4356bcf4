/** `/api/results` and `/api/results/*`: execution results and live tail. */
import type { RouteDef } from "../route.ts";
import { route as resultDetail } from "./result_detail.ts";
import { route as resultTail } from "./result_tail.ts";
import { route as resultsList } from "./results_list.ts";

export const routes: RouteDef[] = [
  resultDetail,
  resultTail,
  resultsList,
];
