/** `/api/inventory/*`: inventory facts, explode search and history. */
import type { RouteDef } from "../route.ts";
import { route as inventoryByJob } from "./inventory_by_job.ts";
import { route as inventoryFirstSeen } from "./inventory_first_seen.ts";
import { route as inventoryHistoryPc } from "./inventory_history_pc.ts";
import { route as inventoryHistorySearch } from "./inventory_history_search.ts";
import { route as inventoryJobs } from "./inventory_jobs.ts";
import { route as inventoryPc } from "./inventory_pc.ts";
import { route as inventorySearch } from "./inventory_search.ts";

export const routes: RouteDef[] = [
  inventoryByJob,
  inventoryFirstSeen,
  inventoryHistoryPc,
  inventoryHistorySearch,
  inventoryJobs,
  inventoryPc,
  inventorySearch,
];
