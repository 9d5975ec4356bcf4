/** `/api/pcs/*`: per-PC config scopes. */
import type { RouteDef } from "../route.ts";
import { route as configPcDelete } from "./config_pc_delete.ts";
import { route as configPcGet } from "./config_pc_get.ts";
import { route as configPcInherited } from "./config_pc_inherited.ts";
import { route as configPcPut } from "./config_pc_put.ts";

export const routes: RouteDef[] = [
  configPcDelete,
  configPcGet,
  configPcInherited,
  configPcPut,
];
