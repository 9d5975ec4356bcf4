import { defineRoute } from "../route.ts";
import { standalone } from "../standalone.ts";

export const route = defineRoute({
  method: "GET",
  path: "/health",
  role: "public",
  summary: "liveness: text `ok`",
  handler: (c) => c.text("ok"),
});

export default standalone(route);
