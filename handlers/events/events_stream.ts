import { streamSSE } from "hono/streaming";
import { z } from "zod";
import { defineRoute, deps } from "../route.ts";
import { standalone } from "../standalone.ts";
import { subscribeChanges } from "../../lib/change_feed.ts";
import { csvParam } from "../../lib/reads/params.ts";
import { sseOpened } from "../../lib/metrics.ts";

/** Keep proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

export const route = defineRoute({
  method: "GET",
  path: "/api/events/stream",
  role: "viewer",
  summary:
    "Server-Sent Events: result/execution/agent/audit/check/alert change notices (`?kinds=a,b` to narrow)",
  request: { query: z.object({ kinds: csvParam }) },
  responses: {
    200: {
      description:
        "an event stream: `ready` ({kinds}) first, then one event per change notice (event = its kind, data = JSON), `ping` every 15 s",
      content: { "text/event-stream": z.string() },
    },
  },
  handler: (c) => {
    const kinds = c.req.valid("query").kinds;
    const { nats, config } = deps(c);
    // In local mode another node's commit is not yet readable here (see change_feed.ts).
    const node = config.projectionMode === "local" ? config.nodeId : undefined;
    return streamSSE(c, async (stream) => {
      const { promise: closed, resolve } = Promise.withResolvers<void>();
      let id = 0;
      const unsubscribe = subscribeChanges(nats, (e) => {
        if (kinds?.length && !kinds.includes(e.kind)) return;
        stream.writeSSE({ event: e.kind, data: e.data, id: String(++id) }).catch(() => resolve());
      }, { node });
      const keepalive = setInterval(() => {
        stream.writeSSE({ event: "ping", data: "{}" }).catch(() => resolve());
      }, KEEPALIVE_MS);
      stream.onAbort(() => resolve());
      const sseClosed = sseOpened();
      try {
        await stream.writeSSE({ event: "ready", data: JSON.stringify({ kinds: kinds ?? [] }) });
        await closed;
      } finally {
        clearInterval(keepalive);
        unsubscribe();
        sseClosed();
      }
    });
  },
});

export default standalone(route);
