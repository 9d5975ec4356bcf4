import { standalone } from "../standalone.ts";
import { jsonSchemaRoute } from "../_json_schema_route.ts";
import { scheduleJsonSchema } from "../../wire/schedule.ts";

export const route = jsonSchemaRoute(
  "/api/schemas/schedule.json",
  "JSON Schema of a schedule, both shapes (generated from the zod create-boundary schema)",
  scheduleJsonSchema,
);
export default standalone(route);
