/** Read APIs (issue 4): results, executions, audit, agents, health, inventory, obs, live feed. */
import type { RouteDef } from "../route.ts";
import { route as resultsList } from "./results_list.ts";
import { route as resultDetail } from "./result_detail.ts";
import { route as resultTail } from "./result_tail.ts";
import { route as executionsList } from "./executions_list.ts";
import { route as executionDetail } from "./execution_detail.ts";
import { route as auditList } from "./audit_list.ts";
import { route as agentsList } from "./agents_list.ts";
import { route as agentDetail } from "./agent_detail.ts";
import { route as agentsVersions } from "./agents_versions.ts";
import { route as healthFleet } from "./health_fleet.ts";
import { route as healthScanDurations } from "./health_scan_durations.ts";
import { route as inventoryJobs } from "./inventory_jobs.ts";
import { route as inventoryPc } from "./inventory_pc.ts";
import { route as inventoryByJob } from "./inventory_by_job.ts";
import { route as inventorySearch } from "./inventory_search.ts";
import { route as inventoryHistoryPc } from "./inventory_history_pc.ts";
import { route as inventoryHistorySearch } from "./inventory_history_search.ts";
import { route as inventoryFirstSeen } from "./inventory_first_seen.ts";
import { route as obsList } from "./obs_list.ts";
import { route as obsKinds } from "./obs_kinds.ts";
import { route as obsSources } from "./obs_sources.ts";
import { route as obsRecent } from "./obs_recent.ts";
import { route as eventsStream } from "./events_stream.ts";

export const routes: RouteDef[] = [
  resultsList,
  resultDetail,
  resultTail,
  executionsList,
  executionDetail,
  auditList,
  agentsList,
  agentDetail,
  agentsVersions,
  healthFleet,
  healthScanDurations,
  inventoryJobs,
  inventoryPc,
  inventoryByJob,
  inventorySearch,
  inventoryHistoryPc,
  inventoryHistorySearch,
  inventoryFirstSeen,
  obsList,
  obsKinds,
  obsSources,
  obsRecent,
  eventsStream,
];
