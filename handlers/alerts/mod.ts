/** Operator alerts (issue 16): rules in KV, their webhook deliveries. */
import type { RouteDef } from "../route.ts";
import { route as alertsList } from "./alerts_list.ts";
import { route as alertsCreate } from "./alerts_create.ts";
import { route as alertGet } from "./alert_get.ts";
import { route as alertUpdate } from "./alert_update.ts";
import { route as alertDelete } from "./alert_delete.ts";
import { route as alertDeliveries } from "./alert_deliveries.ts";

export const routes: RouteDef[] = [
  alertsList,
  alertsCreate,
  alertDeliveries,
  alertGet,
  alertUpdate,
  alertDelete,
];
