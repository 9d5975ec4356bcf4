/** `/api/script-objects` and `/api/script-objects/*`: the script object store. */
import type { RouteDef } from "../route.ts";
import { route as scriptObjectsDelete } from "./script_objects_delete.ts";
import { route as scriptObjectsDownload } from "./script_objects_download.ts";
import { route as scriptObjectsList } from "./script_objects_list.ts";
import { route as scriptObjectsUpload } from "./script_objects_upload.ts";

export const routes: RouteDef[] = [
  scriptObjectsDelete,
  scriptObjectsDownload,
  scriptObjectsList,
  scriptObjectsUpload,
];
