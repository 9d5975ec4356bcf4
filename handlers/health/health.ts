import { z } from "zod";
import { defineRoute } from "../route.ts";
import { standalone } from "../standalone.ts";

export const route = defineRoute({
  method: "GET",
  path: "/health",
  role: "public",
  summary: "liveness: text `ok`",
  responses: {
    200: { description: "the process serves", content: { "text/plain": z.literal("ok") } },
  },
  handler: (c) => c.text("ok"),
});
export default standalone(route);
