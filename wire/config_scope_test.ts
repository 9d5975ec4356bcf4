import assert from "node:assert/strict";
import {
  CONFIG_DEFAULTS,
  ConfigScopeInputSchema,
  ConfigScopeSchema,
  encodeConfigScope,
  resolveEffectiveConfig,
} from "./config_scope.ts";

Deno.test("ConfigScopeInputSchema: strict writer boundary", async (t) => {
  const ok = [
    {},
    { heartbeat_interval: "1s" },
    { target_version: "0.43.45", target_version_jitter: "10m" },
    {
      process_perf_enabled: true,
      process_perf_expires_at: "2026-11-22T12:00:00Z",
      process_perf_top_n: 5,
    },
    { heartbeat_interval: null },
  ];
  for (const v of ok) {
    await t.step(
      `ok ${JSON.stringify(v)}`,
      () => assert.ok(ConfigScopeInputSchema.safeParse(v).success),
    );
  }
  const bad = [
    { heartbeat_interval: "soon" },
    { unknown_field: 1 },
    { inventory_interval: "1h" },
    { process_perf_expires_at: "tomorrow" },
    { process_perf_top_n: 0 },
    { process_perf_enabled: "yes" },
    { target_version: "" },
  ];
  for (const v of bad) {
    await t.step(
      `bad ${JSON.stringify(v)}`,
      () => assert.ok(!ConfigScopeInputSchema.safeParse(v).success),
    );
  }
});

Deno.test("ConfigScopeSchema: tolerant reader ignores retired and unknown keys", () => {
  const v = ConfigScopeSchema.parse({
    inventory_interval: "1h",
    max_local_concurrent: 3,
    heartbeat_interval: "5s",
  });
  assert.deepEqual(v, { heartbeat_interval: "5s" });
});

Deno.test("encodeConfigScope() writes fields in protocol order, omitting unset ones", () => {
  assert.equal(
    JSON.stringify(encodeConfigScope({ heartbeat_interval: "5s", target_version: "1.0.0" })),
    '{"target_version":"1.0.0","heartbeat_interval":"5s"}',
  );
  assert.equal(JSON.stringify(encodeConfigScope({})), "{}");
});

Deno.test("resolveEffectiveConfig(): defaults → global → groups (alphabetical) → pc", async (t) => {
  await t.step("defaults only", () => {
    assert.deepEqual(resolveEffectiveConfig(null, [], null), {
      effective: CONFIG_DEFAULTS,
      warnings: [],
    });
  });
  await t.step("layering and a group conflict warning", () => {
    const r = resolveEffectiveConfig(
      { heartbeat_interval: "10s", target_version: "1.0.0" },
      [
        { name: "zeta", scope: { heartbeat_interval: "20s" } },
        { name: "alpha", scope: { heartbeat_interval: "15s", host_perf_interval: "2m" } },
      ],
      { target_version: "2.0.0" },
    );
    assert.equal(r.effective.heartbeat_interval, "20s"); // zeta sorts last and wins
    assert.equal(r.effective.host_perf_interval, "2m");
    assert.equal(r.effective.target_version, "2.0.0");
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0], /heartbeat_interval.*alpha.*zeta/);
  });
  await t.step("group order is byte order, not locale order", () => {
    const r = resolveEffectiveConfig(null, [
      { name: "a", scope: { heartbeat_interval: "7s" } },
      { name: "B", scope: { heartbeat_interval: "9s" } },
    ], null);
    assert.equal(r.effective.heartbeat_interval, "7s"); // "B" < "a": a is applied last
  });
  await t.step("agreeing groups produce no warning", () => {
    const r = resolveEffectiveConfig(null, [
      { name: "a", scope: { heartbeat_interval: "5s" } },
      { name: "b", scope: { heartbeat_interval: "5s" } },
    ], null);
    assert.deepEqual(r.warnings, []);
  });
});
