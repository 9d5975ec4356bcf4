/** `/api/jetstream/*`: streams, buckets and object stores. */
import type { RouteDef } from "../route.ts";
import { route as jetstreamStatus } from "./jetstream_status.ts";

export const routes: RouteDef[] = [
  jetstreamStatus,
];
