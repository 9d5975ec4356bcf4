import assert from "node:assert/strict";
import { loadConfig } from "../lib/config.ts";
import { durableName, PROJECTOR_NAMES, resetTargets, startProjectors } from "./mod.ts";
import type { Deps } from "../lib/deps.ts";

const cfg = (mode: string) =>
  loadConfig({
    args: [],
    env: { KANADE_DB_URL: "file:/tmp/x.db", KANADE_PROJECTION_MODE: mode, KANADE_NODE_ID: "n2" },
  });

Deno.test("durable names follow the projection mode", async (t) => {
  for (
    const [mode, name, want] of [
      ["shared", "results", "backend_results_projector"],
      ["shared", "obs", "backend_obs_events_projector"],
      ["local", "results", "backend_results_projector_n2"],
      ["local", "audit", "backend_audit_projector_n2"],
    ] as const
  ) {
    await t.step(
      `${mode}/${name}`,
      () => assert.equal(durableName({ config: cfg(mode) }, name), want),
    );
  }
});

Deno.test("consumer reset targets: results and events share execution_results", () => {
  const targets = resetTargets({ config: cfg("shared") }, ["results", "events", "heartbeat"]);
  assert.deepEqual(targets.map((t) => [t.stream, t.durable, t.table]), [
    ["RESULTS", "backend_results_projector", "execution_results"],
    ["EVENTS", "backend_events_projector", "execution_results"],
  ]);
  assert.equal(PROJECTOR_NAMES.length, 9);
});

Deno.test("consumer reset targets: the notification projections replay their own tables", () => {
  const targets = resetTargets({ config: cfg("local") }, ["notifications", "notification_acks"]);
  assert.deepEqual(targets.map((t) => [t.stream, t.durable, t.table]), [
    ["NOTIFICATIONS", "backend_notifications_projector_n2", "notifications"],
    ["EVENTS", "backend_notification_acks_projector_n2", "notification_acks"],
  ]);
});

Deno.test("startProjectors refuses unknown names", async () => {
  await assert.rejects(
    () => startProjectors({ config: cfg("shared") } as Deps, { only: ["results", "nope"] }),
    /unknown name\(s\) nope/,
  );
});
