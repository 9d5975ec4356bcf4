import type { RouteDef } from "../route.ts";
import { route as publish } from "./publish.ts";
import { route as list } from "./list.ts";
import { route as detail } from "./detail.ts";
import { route as ackStatus } from "./ack_status.ts";
import { route as recall } from "./recall.ts";

export const routes: RouteDef[] = [publish, list, detail, ackStatus, recall];
