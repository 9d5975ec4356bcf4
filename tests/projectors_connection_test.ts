/**
 * The projectors have their own NATS connection: when the broker drops it (a slow consumer
 * during a fleet-wide burst), the API's connection, and with it the exec's publish and
 * flush, is not touched; the projectors reconnect and go on projecting.
 */
import assert from "node:assert/strict";
import { startTestBackend, waitFor } from "./helpers/backend.ts";
import { startProjectors } from "../projectors/mod.ts";
import { jobResult, publishAndSettle, publishResults } from "./helpers/results.ts";
import { subjects } from "../wire/names.ts";

Deno.test("projectors: own connection; its drop leaves the API's alone, projection resumes", async () => {
  const b = await startTestBackend();
  const p = await startProjectors(b.deps, { only: ["heartbeat", "results"] });
  try {
    assert.notEqual(p.connection, b.deps.nats.nc);
    const apiEvents: string[] = [];
    (async () => {
      for await (const s of b.deps.nats.nc.status()) apiEvents.push(s.type);
    })();
    const own: string[] = [];
    (async () => {
      for await (const s of p.connection.status()) own.push(s.type);
    })();

    // Projecting before the drop (the cut comes in the middle of work, as under a burst).
    await publishAndSettle(b, jobResult("PC-1", "j", { result_id: "before-drop" }));
    p.connection.reconnect();
    await waitFor(() => own.includes("reconnect"), { what: "the projectors' connection back" });
    assert.ok(own.includes("disconnect"), `projectors' connection events: ${own}`);
    assert.deepEqual(
      apiEvents.filter((t) => t === "disconnect" || t === "reconnect"),
      [],
      "the API's connection saw no drop",
    );

    await publishResults(b, jobResult("PC-1", "j", { result_id: "after-drop" }));
    b.deps.nats.nc.publish(
      subjects.heartbeat("PC-AFTER"),
      JSON.stringify({ pc_id: "PC-AFTER", at: new Date().toISOString(), agent_version: "0.43.45" }),
    );
    let last = "";
    await waitFor(async () => {
      const r = await b.deps.db.execute(
        "SELECT (SELECT COUNT(*) FROM execution_results WHERE result_id = 'after-drop') AS r, " +
          "(SELECT COUNT(*) FROM agents WHERE pc_id = 'PC-AFTER') AS a",
      );
      last = JSON.stringify(r.rows[0]);
      return Number(r.rows[0].r) === 1 && Number(r.rows[0].a) === 1;
    }, { what: "result and heartbeat projected after the drop" }).catch((e) => {
      throw new Error(`${e.message}: ${last}`);
    });
  } finally {
    await p.stop();
    await b.stop();
  }
  assert.ok(p.connection.isClosed(), "stop closes the projectors' connection");
});
