/**
 * `/api/agents` and `/api/agents/*`: agent rows, a PC's groups and effective config, RPCs
 * (ping, logs), perf and processes, releases and rollout.
 */
import type { RouteDef } from "../route.ts";
import { route as agentDetail } from "./agent_detail.ts";
import { route as agentForget } from "./agent_forget.ts";
import { route as agentsList } from "./agents_list.ts";
import { route as agentsVersions } from "./agents_versions.ts";
import { route as effectiveConfig } from "./effective_config.ts";
import { route as groupsAdd } from "./groups_add.ts";
import { route as groupsGet } from "./groups_get.ts";
import { route as groupsPut } from "./groups_put.ts";
import { route as groupsRemove } from "./groups_remove.ts";
import { route as logs } from "./logs.ts";
import { route as perfHost } from "./perf_host.ts";
import { route as ping } from "./ping.ts";
import { route as processes } from "./processes.ts";
import { route as processesTimeline } from "./processes_timeline.ts";
import { route as releasesDelete } from "./releases_delete.ts";
import { route as releasesList } from "./releases_list.ts";
import { route as releasesPublish } from "./releases_publish.ts";
import { route as rollout } from "./rollout.ts";
import { route as rolloutStatus } from "./rollout_status.ts";

export const routes: RouteDef[] = [
  agentDetail,
  agentForget,
  agentsList,
  agentsVersions,
  effectiveConfig,
  groupsAdd,
  groupsGet,
  groupsPut,
  groupsRemove,
  logs,
  perfHost,
  ping,
  processes,
  processesTimeline,
  releasesDelete,
  releasesList,
  releasesPublish,
  rollout,
  rolloutStatus,
];
