import { standalone } from "../standalone.ts";
import { jsonSchemaRoute } from "../_json_schema_route.ts";
import { manifestJsonSchema } from "../../wire/manifest.ts";

export const route = jsonSchemaRoute(
  "/api/schemas/manifest.json",
  "JSON Schema of a job manifest (generated from the zod create-boundary schema)",
  manifestJsonSchema,
);
export default standalone(route);
