/** `/api/events/*`: the live change feed (SSE). */
import type { RouteDef } from "../route.ts";
import { route as eventsStream } from "./events_stream.ts";

export const routes: RouteDef[] = [
  eventsStream,
];
