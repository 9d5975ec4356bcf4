/** `/api/freeze`: the fleet change freeze. */
import type { RouteDef } from "../route.ts";
import { route as freezeDelete } from "./freeze_delete.ts";
import { route as freezeGet } from "./freeze_get.ts";
import { route as freezePut } from "./freeze_put.ts";

export const routes: RouteDef[] = [
  freezeDelete,
  freezeGet,
  freezePut,
];
