/** Migrations against a libSQL server (topology a): concurrent and through a restart. */
import assert from "node:assert/strict";
import { openDb } from "./client.ts";
import { loadMigrations, migrate } from "./migrate.ts";
import { startSqld } from "../tests/helpers/sqld.ts";

Deno.test("migrate on sqld: two processes at once apply each file once", async () => {
  const sqld = await startSqld({ auth: true });
  const a = await openDb({ url: sqld.url, authToken: sqld.authToken });
  const b = await openDb({ url: sqld.url, authToken: sqld.authToken });
  try {
    const [x, y] = await Promise.all([migrate(a), migrate(b)]);
    const all = (await loadMigrations()).map((m) => m.name);
    assert.deepEqual([...x, ...y].sort(), all, "every file applied by exactly one of them");
    const rows = (await a.execute("SELECT name FROM _migrations ORDER BY name")).rows;
    assert.deepEqual(rows.map((r) => r.name), all);
    assert.deepEqual(await migrate(a), [], "a rerun is a no-op");
  } finally {
    a.close();
    b.close();
    await sqld.stop();
  }
});

Deno.test("migrate on sqld: a server still starting is waited for, not a failed start", async () => {
  const sqld = await startSqld();
  const db = await openDb({ url: sqld.url });
  try {
    await sqld.kill();
    const t0 = Date.now();
    const running = migrate(db, undefined, { retryForMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1_500));
    await sqld.start();
    const applied = await running;
    assert.ok(Date.now() - t0 >= 1_500, "finished only after the server was back");
    assert.equal(applied.length, (await loadMigrations()).length);
    await sqld.kill();
    await assert.rejects(
      migrate(db, undefined, { retryForMs: 300 }),
      /migrations table failed: .*fetch failed/,
      "a server that stays away fails the start with its cause",
    );
  } finally {
    db.close();
    await sqld.stop();
  }
});
