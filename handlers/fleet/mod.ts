/** Fleet routes: groups, layered config, agent ops (forget, ping, logs), perf, releases, rollout. */
import type { RouteDef } from "../route.ts";
import { route as groupsGet } from "./groups_get.ts";
import { route as groupsPut } from "./groups_put.ts";
import { route as groupsAdd } from "./groups_add.ts";
import { route as groupsRemove } from "./groups_remove.ts";
import { route as groupsList } from "./groups_list.ts";
import { route as configGlobalGet } from "./config_global_get.ts";
import { route as configGlobalPut } from "./config_global_put.ts";
import { route as configGroupGet } from "./config_group_get.ts";
import { route as configGroupPut } from "./config_group_put.ts";
import { route as configGroupDelete } from "./config_group_delete.ts";
import { route as configPcGet } from "./config_pc_get.ts";
import { route as configPcPut } from "./config_pc_put.ts";
import { route as configPcDelete } from "./config_pc_delete.ts";
import { route as effectiveConfig } from "./effective_config.ts";
import { route as configDefaults } from "./config_defaults.ts";
import { route as configGroupInherited } from "./config_group_inherited.ts";
import { route as configPcInherited } from "./config_pc_inherited.ts";
import { route as agentForget } from "./agent_forget.ts";
import { route as ping } from "./ping.ts";
import { route as logs } from "./logs.ts";
import { route as perfHost } from "./perf_host.ts";
import { route as processes } from "./processes.ts";
import { route as processesTimeline } from "./processes_timeline.ts";
import { route as perfFleet } from "./perf_fleet.ts";
import { route as perfTop } from "./perf_top.ts";
import { route as perfInvestigations } from "./perf_investigations.ts";
import { route as releasesList } from "./releases_list.ts";
import { route as releasesPublish } from "./releases_publish.ts";
import { route as releasesDelete } from "./releases_delete.ts";
import { route as rollout } from "./rollout.ts";
import { route as rolloutStatus } from "./rollout_status.ts";

export const routes: RouteDef[] = [
  groupsGet,
  groupsPut,
  groupsAdd,
  groupsRemove,
  groupsList,
  configGlobalGet,
  configGlobalPut,
  configGroupGet,
  configGroupPut,
  configGroupDelete,
  configPcGet,
  configPcPut,
  configPcDelete,
  effectiveConfig,
  configDefaults,
  configGroupInherited,
  configPcInherited,
  agentForget,
  ping,
  logs,
  perfHost,
  processes,
  processesTimeline,
  perfFleet,
  perfTop,
  perfInvestigations,
  releasesList,
  releasesPublish,
  releasesDelete,
  rollout,
  rolloutStatus,
];
