import type { RouteDef } from "../route.ts";
import { route as health } from "./health.ts";
import { route as version } from "./version.ts";
import { route as jetstreamStatus } from "./jetstream_status.ts";

export const routes: RouteDef[] = [health, version, jetstreamStatus];
