/** Transient broker errors (no responders, timeouts) answer 503 + retry-after, not 500. */
import assert from "node:assert/strict";
import { startTestBackend } from "./helpers/backend.ts";
import { buildApp } from "../handlers/router.ts";
import { defineRoute, deps } from "../handlers/route.ts";
import { isBrokerUnavailable } from "../lib/nats.ts";

Deno.test("router: NATS no-responders and timeouts become 503 with retry-after", async () => {
  const be = await startTestBackend({ waves: false });
  try {
    const noResponders = defineRoute({
      method: "GET",
      path: "/api/t/no-responders",
      role: "viewer",
      handler: async (c) => {
        await deps(c).nats.nc.request("nobody.listens.here", new Uint8Array(), { timeout: 1_000 });
        return c.text("unreachable");
      },
    });
    const timeout = defineRoute({
      method: "GET",
      path: "/api/t/timeout",
      role: "viewer",
      handler: async (c) => {
        const sub = deps(c).nats.nc.subscribe("silent.listener"); // a responder that never answers
        try {
          await deps(c).nats.nc.request("silent.listener", new Uint8Array(), { timeout: 200 });
        } finally {
          sub.unsubscribe();
        }
        return c.text("unreachable");
      },
    });
    const app = buildApp(be.deps, [noResponders, timeout]);
    for (const path of ["/api/t/no-responders", "/api/t/timeout"]) {
      const res = await app.request(path, { headers: { authorization: `Bearer ${be.token}` } });
      assert.equal(res.status, 503, path);
      assert.equal(res.headers.get("retry-after"), "2");
      assert.match((await res.json()).error, /broker unavailable/);
    }
  } finally {
    await be.stop();
  }
});

Deno.test("isBrokerUnavailable() looks through causes and ignores other errors", () => {
  const t = Object.assign(new Error("timeout"), { name: "TimeoutError" });
  assert.ok(isBrokerUnavailable(t));
  assert.ok(isBrokerUnavailable(new Error("wrapped", { cause: t })));
  assert.ok(!isBrokerUnavailable(new Error("plain")));
  assert.ok(!isBrokerUnavailable(Object.assign(new Error("x"), { name: "TypeError" })));
  assert.ok(!isBrokerUnavailable(undefined));
});
