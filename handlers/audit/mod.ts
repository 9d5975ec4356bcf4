/** `/api/audit`: the audit log. */
import type { RouteDef } from "../route.ts";
import { route as auditList } from "./audit_list.ts";

export const routes: RouteDef[] = [
  auditList,
];
