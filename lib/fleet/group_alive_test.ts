import assert from "node:assert/strict";
import { dbTs } from "../../wire/time.ts";
import { Memberships } from "./memberships.ts";
import { Presence } from "./presence.ts";
import { GroupAlive } from "./group_alive.ts";
import { countAliveMembers } from "../exec/targets.ts";
import { rng } from "../../tests/helpers/rng.ts";

const NOW = Date.UTC(2026, 11, 5, 2, 0, 0, 400);
const WINDOW_MS = 90_000;
const PCS = Array.from({ length: 40 }, (_, i) => `PC${i}`);
const GROUPS = ["a", "b", "canary", "zeta"];

function heartbeatAt(r: ReturnType<typeof rng>): string | null {
  const x = r.next();
  if (x < 0.05) return null;
  const edge = NOW - WINDOW_MS;
  if (x < 0.4) return dbTs(edge + r.int(2001) - 1000); // around the window's edge, to the ms
  if (x < 0.45) return dbTs(NOW + r.int(3000)); // a clock ahead of ours
  return dbTs(NOW - r.int(200_000));
}

Deno.test("GroupAlive answers what a pass over the members answers, across random histories", async (t) => {
  for (let seed = 1; seed <= 40; seed++) {
    await t.step(`seed ${seed}`, () => {
      const r = rng(seed);
      const presence = new Presence();
      const memberships = new Memberships();
      // Created before or after the first agents are known, as the fleet view may be.
      let view: GroupAlive | null = r.next() < 0.5 ? new GroupAlive(presence, memberships) : null;
      for (let step = 0; step < 400; step++) {
        const x = r.next();
        const pc = r.pick(PCS);
        if (x < 0.5) presence.apply(pc, heartbeatAt(r), "1.0.0", pc);
        else if (x < 0.56) presence.remove(pc);
        else if (x < 0.8) {
          // Sometimes a group twice, as a hand-written KV value may hold it.
          const gs = GROUPS.filter(() => r.next() < 0.35);
          memberships.set(pc, r.next() < 0.1 && gs.length ? [...gs, gs[0]] : gs);
        } else if (x < 0.81) presence.clear();
        else if (x < 0.82) memberships.reset();
        view ??= step > 50 ? new GroupAlive(presence, memberships) : null;
        // Not every step is read: the counts must keep up between reads too.
        if (!view || r.next() < 0.4) continue;
        // Cutoffs on and around the window's edge, to the millisecond.
        const cutoff = NOW - WINDOW_MS + r.int(2001) - 1000;
        for (const g of [...GROUPS, "nobody"]) {
          const want = countAliveMembers(presence, memberships, [g], new Set(), cutoff);
          assert.equal(view.count(g, cutoff), want, `seed ${seed} step ${step} group ${g}`);
        }
      }
      view?.stop();
    });
  }
});

Deno.test("GroupAlive follows heartbeats and memberships as they change", () => {
  const presence = new Presence();
  const memberships = new Memberships();
  const view = new GroupAlive(presence, memberships);
  memberships.set("PC1", ["a"]);
  presence.apply("PC1", dbTs(NOW), "1.0.0", "PC1");
  assert.equal(view.count("a", NOW - WINDOW_MS), 1);
  presence.apply("PC2", dbTs(NOW), "1.0.0", "PC2");
  memberships.set("PC2", ["a"]);
  assert.equal(view.count("a", NOW - WINDOW_MS), 2);
  // A PC whose heartbeat leaves the window is no longer counted.
  presence.apply("PC2", dbTs(NOW - WINDOW_MS - 1), "1.0.0", "PC2");
  assert.equal(view.count("a", NOW - WINDOW_MS), 1);
  // Leaving the group, and a group nobody is in.
  memberships.set("PC1", ["b"]);
  assert.equal(view.count("a", NOW - WINDOW_MS), 0);
  assert.equal(view.count("b", NOW - WINDOW_MS), 1);
  assert.equal(view.count("nobody", NOW - WINDOW_MS), 0);
  view.stop();
});
