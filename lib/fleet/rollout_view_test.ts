import assert from "node:assert/strict";
import { dbTs } from "../../wire/time.ts";
import { Memberships } from "./memberships.ts";
import { Presence } from "./presence.ts";
import { computeRolloutStatus, type RolloutStatus, type ScopeEntry } from "./rollout_status.ts";
import { RolloutView } from "./rollout_view.ts";
import { SortedIds } from "./sorted_ids.ts";
import { rng } from "../../tests/helpers/rng.ts";

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0, 400);
const WINDOW = 90;
// Ids whose code-unit and locale orders differ, so both sorts are exercised.
const PCS = [
  ...Array.from({ length: 30 }, (_, i) => `PC${i}`),
  "pc-a",
  "Pc_b",
  "z9",
  "A1",
  "a1",
  "B",
];
const GROUPS = ["a", "b", "canary", "zeta", "Zulu"];
const VERSIONS = ["1.0.0", "2.0.0", "2.1.0", "0.9.0"];

function randomScopes(r: ReturnType<typeof rng>): ScopeEntry[] {
  const target = () => {
    const x = r.next();
    if (x < 0.25) return { heartbeat_interval: "5s" }; // a scope that sets no target
    return r.next() < 0.3
      ? { target_version: r.pick(VERSIONS), target_version_jitter: r.pick(["1m", "30s"]) }
      : { target_version: r.pick(VERSIONS) };
  };
  const out: ScopeEntry[] = [];
  if (r.next() < 0.7) out.push({ scope: { type: "global" }, value: target() });
  for (const g of GROUPS) {
    if (r.next() < 0.5) out.push({ scope: { type: "group", value: g }, value: target() });
  }
  for (let i = r.int(4); i > 0; i--) {
    const pc = r.pick(PCS);
    if (!out.some((s) => s.scope.type === "pc" && s.scope.value === pc)) {
      out.push({ scope: { type: "pc", value: pc }, value: target() });
    }
  }
  // KV order is not key order.
  return out.sort(() => r.next() - 0.5);
}

function heartbeatAt(r: ReturnType<typeof rng>): string | null {
  const x = r.next();
  if (x < 0.05) return null;
  const edge = NOW - WINDOW * 1000;
  if (x < 0.35) return dbTs(edge + r.int(2001) - 1000); // around the window's edge, to the ms
  if (x < 0.4) return dbTs(NOW + r.int(3000)); // a clock ahead of ours
  return dbTs(NOW - r.int(200_000));
}

const comparable = (s: RolloutStatus) => ({ ...s, observed_at: "" });

Deno.test("RolloutView answers as computeRolloutStatus over random histories", async (t) => {
  for (let seed = 1; seed <= 40; seed++) {
    await t.step(`seed ${seed}`, () => {
      const r = rng(seed);
      const presence = new Presence();
      const memberships = new Memberships();
      // Created before any agent is known, as the fleet view does on the first request.
      const view = new RolloutView(presence, memberships);
      let scopes = randomScopes(r);
      for (let step = 0; step < 400; step++) {
        const x = r.next();
        const pc = r.pick(PCS);
        if (x < 0.45) {
          const e = presence.get(pc);
          const version = r.next() < 0.1 ? null : r.pick(VERSIONS);
          presence.apply(pc, heartbeatAt(r), r.next() < 0.8 ? version : e?.version ?? null, pc);
        } else if (x < 0.52) presence.remove(pc);
        else if (x < 0.75) {
          memberships.set(pc, GROUPS.filter(() => r.next() < 0.3));
        } else if (x < 0.8) scopes = randomScopes(r);
        else if (x < 0.81) presence.clear();
        else if (x < 0.82) memberships.reset();
        const q = {
          version: r.next() < 0.4 ? null : r.pick([...VERSIONS, "9.9.9"]),
          scopes,
          nowMs: NOW + r.int(3000) - 1500,
          aliveWindowSecs: WINDOW,
          agentsLimit: r.next() < 0.2 ? undefined : r.pick([0, 1, 3, 7, 1000]),
        };
        // Not every step is read: the view must keep up between reads too.
        if (r.next() < 0.4) continue;
        const want = computeRolloutStatus({
          ...q,
          memberships: memberships.all(),
          agents: [...presence.sortedEntries()].map((e) => ({
            pc_id: e.pcId,
            hostname: e.hostname,
            agent_version: e.version,
            last_heartbeat: e.hb,
            hb_ms: e.hbMs,
          })),
        });
        assert.deepEqual(comparable(view.status(q)), comparable(want), `seed ${seed} step ${step}`);
      }
      view.stop();
    });
  }
});

Deno.test("SortedIds keeps ids in code-unit order across chunk splits and removals", () => {
  const r = rng(7);
  const ids = new SortedIds();
  const model = new Set<string>();
  for (let i = 0; i < 20_000; i++) {
    const id = `id${r.int(3000)}`;
    if (r.next() < 0.6) {
      assert.equal(ids.add(id), !model.has(id));
      model.add(id);
    } else {
      assert.equal(ids.delete(id), model.has(id));
      model.delete(id);
    }
  }
  assert.equal(ids.size, model.size);
  assert.deepEqual([...ids.values()], [...model].sort());
});
