/** `/api/groups` and `/api/groups/*`: fleet-wide groups and their config scopes. */
import type { RouteDef } from "../route.ts";
import { route as configGroupDelete } from "./config_group_delete.ts";
import { route as configGroupGet } from "./config_group_get.ts";
import { route as configGroupInherited } from "./config_group_inherited.ts";
import { route as configGroupPut } from "./config_group_put.ts";
import { route as groupsList } from "./groups_list.ts";

export const routes: RouteDef[] = [
  configGroupDelete,
  configGroupGet,
  configGroupInherited,
  configGroupPut,
  groupsList,
];
