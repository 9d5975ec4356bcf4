/**
 * SSE change notices across nodes. Two backends share one broker; only node B runs the
 * results projector. In `local` projection mode B's commit lands in B's own database, so
 * node A's event stream must stay silent (A cannot read that row yet); in `shared` mode
 * both nodes read one database and both streams announce it.
 */
import assert from "node:assert/strict";
import { startTestBackend, waitFor } from "./helpers/backend.ts";
import { openSse, type SseClient } from "./helpers/sse.ts";
import { publishResult } from "./helpers/results.ts";
import { startNatsServer } from "./helpers/nats_server.ts";

for (const mode of ["local", "shared"] as const) {
  Deno.test(`change notices in ${mode} projection mode`, async () => {
    const broker = await startNatsServer();
    const env = (node: string) => ({ KANADE_NODE_ID: node, KANADE_PROJECTION_MODE: mode });
    const a = await startTestBackend({ broker, projectors: false, env: env("node-a") });
    const b = await startTestBackend({ broker, projectors: ["results"], env: env("node-b") });
    const streams: SseClient[] = [];
    try {
      const onA = await openSse(a, "?kinds=result");
      const onB = await openSse(b, "?kinds=result");
      streams.push(onA, onB);
      const id = await publishResult(b.deps.nats.js, "PC-FEED", "feed");
      await waitFor(() => onB.text().includes(id), { what: "node B announces its commit" });
      // Both streams hang off the same broker: whatever reaches A arrives with B's copy.
      await new Promise((r) => setTimeout(r, 750));
      if (mode === "local") {
        assert.ok(!onA.text().includes(id), "node A announced a row it cannot read");
      } else {
        await waitFor(() => onA.text().includes(id), { what: "node A announces it too" });
      }
    } finally {
      for (const s of streams) await s.close();
      await a.stop();
      await b.stop();
      await broker.stop();
    }
  });
}
