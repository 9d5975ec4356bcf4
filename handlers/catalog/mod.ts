import type { RouteDef } from "../route.ts";
import { route as jobsList } from "./jobs_list.ts";
import { route as jobsCreate } from "./jobs_create.ts";
import { route as jobsYaml } from "./jobs_yaml.ts";
import { route as jobsDelete } from "./jobs_delete.ts";
import { route as jobsKill } from "./jobs_kill.ts";
import { route as executionKill } from "./execution_kill.ts";
import { route as exec } from "./exec.ts";
import { route as scriptsStatus } from "./scripts_status.ts";
import { route as scriptsRevoke } from "./scripts_revoke.ts";
import { route as scriptsUnrevoke } from "./scripts_unrevoke.ts";
import { route as run } from "./run.ts";
import { route as scriptObjectsList } from "./script_objects_list.ts";
import { route as scriptObjectsUpload } from "./script_objects_upload.ts";
import { route as scriptObjectsDownload } from "./script_objects_download.ts";
import { route as scriptObjectsDelete } from "./script_objects_delete.ts";
import { route as schemaManifest } from "./schema_manifest.ts";

export const routes: RouteDef[] = [
  jobsList,
  jobsCreate,
  jobsYaml,
  jobsDelete,
  jobsKill,
  executionKill,
  exec,
  scriptsStatus,
  scriptsRevoke,
  scriptsUnrevoke,
  run,
  scriptObjectsList,
  scriptObjectsUpload,
  scriptObjectsDownload,
  scriptObjectsDelete,
  schemaManifest,
];
