import assert from "node:assert/strict";
import { aliveMembers, countAliveMembers } from "./targets.ts";
import { Presence } from "../fleet/presence.ts";
import { Memberships } from "../fleet/memberships.ts";
import { wireTs } from "../../wire/time.ts";

/** A small deterministic generator (the test must reproduce the same fleets). */
function lcg(seed: number) {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

Deno.test("countAliveMembers equals the size of the alive-members ∪ pcs set", () => {
  const now = Date.parse("2026-12-04T12:00:00Z");
  const names = ["a", "b", "c", "d"];
  for (let seed = 1; seed <= 60; seed++) {
    const rand = lcg(seed);
    const presence = new Presence();
    const groups = new Memberships();
    for (let i = 0; i < 200; i++) {
      const pc = `PC-${i}`;
      if (rand() < 0.9) presence.apply(pc, wireTs(now - Math.floor(rand() * 200_000)), "1.0", pc);
      const mine = names.filter(() => rand() < 0.4);
      if (mine.length) groups.set(pc, mine);
    }
    const wanted = names.filter(() => rand() < 0.5).concat(rand() < 0.3 ? ["a", "zz"] : []);
    const pcs = new Set(
      Array.from({ length: Math.floor(rand() * 5) }, () => `PC-${Math.floor(rand() * 250)}`),
    );
    const cutoff = now - 90_000;
    const union = aliveMembers(presence, groups, wanted, cutoff);
    for (const pc of pcs) union.add(pc);
    assert.equal(
      countAliveMembers(presence, groups, wanted, pcs, cutoff),
      union.size,
      `seed ${seed}`,
    );
  }
});
