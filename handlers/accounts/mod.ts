import type { RouteDef } from "../route.ts";
import { route as list } from "./accounts_list.ts";
import { route as create } from "./accounts_create.ts";
import { route as update } from "./account_update.ts";
import { route as remove } from "./account_delete.ts";

export const routes: RouteDef[] = [list, create, update, remove];
