import type { RouteDef } from "../route.ts";

export const routes: RouteDef[] = [];
