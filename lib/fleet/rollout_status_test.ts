import assert from "node:assert/strict";
import {
  type AgentRow,
  computeRolloutStatus,
  decidingScope,
  type ScopeEntry,
} from "./rollout_status.ts";
import { scopeKey } from "./scopes.ts";

const NOW = Date.UTC(2026, 10, 22, 12);
const scopes: ScopeEntry[] = [
  { scope: { type: "global" }, value: { target_version: "1.0.0" } },
  {
    scope: { type: "group", value: "canary" },
    value: { target_version: "2.0.0", target_version_jitter: "1m" },
  },
  { scope: { type: "group", value: "zeta" }, value: { target_version: "2.1.0" } },
  { scope: { type: "group", value: "nover" }, value: { heartbeat_interval: "5s" } },
  { scope: { type: "pc", value: "PC9" }, value: { target_version: "0.9.0" } },
];
const memberships = new Map([
  ["PC2", ["canary"]],
  ["PC3", ["canary", "zeta"]],
  ["PC4", ["nover"]],
  ["PC9", ["canary"]],
]);
const agent = (pc_id: string, v: string | null, agoSecs = 10): AgentRow => ({
  pc_id,
  hostname: pc_id.toLowerCase(),
  agent_version: v,
  last_heartbeat: new Date(NOW - agoSecs * 1000).toISOString(),
});
const agents = [
  agent("PC1", "1.0.0"),
  agent("PC2", "2.0.0"),
  agent("PC3", "2.0.0", 3600),
  agent("PC4", "0.5.0"),
  agent("PC9", "0.9.0"),
];

Deno.test("decidingScope(): pc > alphabetically last group with a target > global", async (t) => {
  const byKey = new Map(scopes.map((s) => [scopeKey(s.scope), s]));
  const cases: [string, string[], string | null][] = [
    ["PC1", [], "global"],
    ["PC2", ["canary"], "groups.canary"],
    ["PC3", ["zeta", "canary"], "groups.zeta"],
    ["PC4", ["nover"], "global"],
    ["PC9", ["canary"], "pcs.PC9"],
  ];
  for (const [pc, groups, want] of cases) {
    await t.step(pc, () => {
      const d = decidingScope(pc, groups, byKey);
      assert.equal(d ? scopeKey(d.scope) : null, want);
    });
  }
  await t.step("no target anywhere", () => {
    assert.equal(decidingScope("PC1", [], new Map()), null);
  });
});

Deno.test("computeRolloutStatus() for one version counts its deciding scopes only", () => {
  const s = computeRolloutStatus({
    version: "2.0.0",
    scopes,
    memberships,
    agents,
    nowMs: NOW,
    aliveWindowSecs: 120,
  });
  assert.equal(s.version, "2.0.0");
  assert.deepEqual(
    { total: s.total, on_target: s.on_target, remaining: s.remaining },
    { total: 1, on_target: 1, remaining: 0 },
  );
  assert.deepEqual(s.scopes, [{
    scope_key: "groups.canary",
    scope_label: "group:canary",
    target_version: "2.0.0",
    jitter: "1m",
    total: 1,
    on_target: 1,
    remaining: 0,
    active: 1,
  }]);
  assert.deepEqual(s.agents.map((a) => a.pc_id), ["PC2"]);
});

Deno.test("computeRolloutStatus() without a version covers every target", () => {
  const s = computeRolloutStatus({
    version: null,
    scopes,
    memberships,
    agents,
    nowMs: NOW,
    aliveWindowSecs: 120,
  });
  const byScope = Object.fromEntries(
    s.scopes.map((r) => [r.scope_key, [r.total, r.on_target, r.active]]),
  );
  assert.deepEqual(byScope, {
    "global": [2, 1, 2], // PC1 on 1.0.0, PC4 behind (0.5.0)
    "groups.canary": [1, 1, 1],
    "groups.zeta": [1, 0, 0], // PC3 runs 2.0.0 but zeta (later alphabetically) wants 2.1.0; stale
    "pcs.PC9": [1, 1, 1],
  });
  assert.equal(s.total, 5);
  assert.equal(s.remaining, 2);
  assert.equal(s.untargeted, 0);
});

Deno.test("computeRolloutStatus() lists a targeting scope with no agents yet", () => {
  const s = computeRolloutStatus({
    version: "2.1.0",
    scopes,
    memberships: new Map(),
    agents: [],
    nowMs: NOW,
    aliveWindowSecs: 120,
  });
  assert.equal(s.scopes.length, 1);
  assert.equal(s.scopes[0].scope_key, "groups.zeta");
  assert.equal(s.scopes[0].total, 0);
});
