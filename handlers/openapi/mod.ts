/** The API's own description: the OpenAPI document generated from the route definitions. */
import type { RouteDef } from "../route.ts";
import { route as openapiJson } from "./openapi_json.ts";

export const routes: RouteDef[] = [openapiJson];
