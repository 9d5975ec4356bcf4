import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { jetstreamStatus, JetStreamStatusSchema } from "../../lib/jetstream_setup.ts";

export const route = defineRoute({
  method: "GET",
  path: "/api/jetstream/status",
  role: "viewer",
  summary: "every stream, KV bucket and object store with `exists`, bytes, messages",
  responses: { 200: { json: JetStreamStatusSchema } },
  handler: async (c) => c.json(await jetstreamStatus(deps(c).nats)),
});

export default standalone(route);
