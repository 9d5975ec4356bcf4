// Temporary measurement (not committed): how long one heartbeat batch blocks the event loop.
import { openDb, inWriteTx } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { applyHeartbeats } from "../projectors/heartbeat.ts";
import type { Heartbeat } from "../wire/messages.ts";
const dir = await Deno.makeTempDir();
const db = await openDb({ url: `file:${dir}/k.db` });
await migrate(db);
const N = 100_000;
const hb = (i: number, at: string): Heartbeat => ({ pc_id: `S-${String(i).padStart(6, "0")}`, hostname: `S-${i}`, agent_version: "0.43.45", os_family: "windows", at } as unknown as Heartbeat);
for (let i = 0; i < N; i += 1000) {
  const at = new Date().toISOString();
  await inWriteTx(db, (tx) => applyHeartbeats(tx, Array.from({ length: 1000 }, (_, j) => hb(i + j, at))));
}
for (const size of [250, 1000, 3300]) {
  const ts: number[] = [];
  for (let r = 0; r < 10; r++) {
    const at = new Date().toISOString();
    const start = Math.floor(Math.random() * (N - size));
    let last = performance.now();
    let maxGap = 0;
    const t = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 1);
    await new Promise((r) => setTimeout(r, 5));
    await inWriteTx(db, (tx) => applyHeartbeats(tx, Array.from({ length: size }, (_, j) => hb(start + j, at))));
    await new Promise((r) => setTimeout(r, 5));
    ts.push(maxGap);
    clearInterval(t);
  }
  ts.sort((a, b) => a - b);
  console.log(`batch ${size}: longest event-loop stall median ${ts[5].toFixed(1)} ms, max ${ts[9].toFixed(1)} ms`);
}
// And the presence follower's read of 3,300 changed rows.
const t0 = performance.now();
const rs = await db.execute("SELECT pc_id, last_heartbeat, agent_version, hostname, rev FROM agents ORDER BY rev DESC LIMIT 3300");
console.log(`read 3300 rows: ${(performance.now() - t0).toFixed(1)} ms (${rs.rows.length})`);
db.close();
