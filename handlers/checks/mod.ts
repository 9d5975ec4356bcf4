/** Compliance checks (issue 16): the check_status read model, its history and Clear. */
import type { RouteDef } from "../route.ts";
import { route as checksList } from "./checks_list.ts";
import { route as checksTransitions } from "./checks_transitions.ts";
import { route as checksClear } from "./checks_clear.ts";

export const routes: RouteDef[] = [checksList, checksTransitions, checksClear];
