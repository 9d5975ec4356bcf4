import type { RouteDef } from "../route.ts";
import { route as list } from "./list.ts";
import { route as upload } from "./upload.ts";
import { route as download } from "./download.ts";
import { route as remove } from "./delete.ts";

export const routes: RouteDef[] = [list, upload, download, remove];
