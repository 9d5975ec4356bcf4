import { z } from "zod";
import { defineRoute } from "../route.ts";
import { standalone } from "../standalone.ts";
import { BACKEND_VERSION, IMPLEMENTATION } from "../../lib/version.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/version",
  role: "public",
  summary: "`{version}` of the backend protocol level",
  responses: {
    200: {
      json: z.strictObject({
        version: z.string().meta({ description: "the upstream backend release this matches" }),
        implementation: z.string(),
      }),
    },
  },
  handler: (c) => c.json({ version: BACKEND_VERSION, implementation: IMPLEMENTATION }),
});
export default standalone(route);
