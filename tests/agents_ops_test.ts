/**
 * Single-PC operations with a real broker: ping and logs round-trips through the fleet
 * simulator (and their timeout / not-connected answers), and forgetting an agent.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend, waitFor } from "./helpers/backend.ts";
import { startFleet } from "../simulator/fleet.ts";
import { fetchAgentLogs } from "../lib/fleet/agent_rpc.ts";
import { UpstreamTimeoutError } from "../lib/errors.ts";
import { subjects } from "../wire/names.ts";
import { decodeLogsRequest } from "../wire/logs.ts";
import { nowDb } from "../wire/time.ts";

async function call(b: TestBackend, method: string, path: string) {
  const res = await b.request(path, { method });
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

Deno.test("ping and logs round-trip with an agent", async (t) => {
  const b = await startTestBackend();
  let fleet: Awaited<ReturnType<typeof startFleet>> | null = null;
  try {
    // Before any agent connects nobody subscribes: "no responders" answers at once.
    await t.step("ping of a PC nobody serves is 408 after wait_secs", async () => {
      const t0 = Date.now();
      const r = await call(b, "POST", "/api/agents/NOBODY/ping?wait_secs=1");
      assert.equal(r.status, 408);
      assert.ok(Date.now() - t0 >= 900 && Date.now() - t0 < 5000);
      assert.match(JSON.parse(r.text).error, /not connected/);
    });

    await t.step(
      "an agent without a ping responder (pre-0.38) answers with its next heartbeat",
      async () => {
        const beat = setInterval(() => {
          b.deps.nats.nc.publish(
            subjects.heartbeat("LEGACY"),
            JSON.stringify({
              pc_id: "LEGACY",
              at: new Date().toISOString(),
              agent_version: "0.37.0",
            }),
          );
        }, 100);
        try {
          const r = await call(b, "POST", "/api/agents/LEGACY/ping?wait_secs=5");
          assert.equal(r.status, 200, r.text);
          assert.equal(JSON.parse(r.text).heartbeat.agent_version, "0.37.0");
        } finally {
          clearInterval(beat);
        }
      },
    );

    await t.step("logs of a PC nobody serves is 502; bad tail is 400", async () => {
      assert.equal((await call(b, "GET", "/api/agents/NOBODY/logs")).status, 502);
      assert.equal((await call(b, "GET", "/api/agents/NOBODY/logs?tail=x")).status, 400);
    });

    fleet = await startFleet({
      natsUrl: b.broker.url,
      agents: ["OP1", "OP2"],
      heartbeatIntervalMs: 60_000,
      agentVersion: "0.43.45",
    });

    await t.step("ping answers {heartbeat} from the agent itself", async () => {
      const r = await call(b, "POST", "/api/agents/OP1/ping?wait_secs=5");
      assert.equal(r.status, 200, r.text);
      const body = JSON.parse(r.text);
      assert.deepEqual(Object.keys(body), ["heartbeat"]);
      assert.equal(body.heartbeat.pc_id, "OP1");
      assert.equal(body.heartbeat.agent_version, "0.43.45");
      assert.equal("agent_cpu_pct" in body.heartbeat, false, "ping replies carry no perf fields");
    });

    await t.step("ping of an agent that does not answer is 408 after wait_secs", async () => {
      // Offline: its connection (and so its ping subscription) is gone.
      fleet!.setOnline("OP2", false);
      await fleet!.flush();
      let t0 = Date.now();
      let r = await call(b, "POST", "/api/agents/OP2/ping?wait_secs=1");
      assert.equal(r.status, 408);
      assert.ok(Date.now() - t0 >= 900, "waited about wait_secs");
      assert.match(JSON.parse(r.text).error, /not connected/);
      fleet!.setOnline("OP2", true);
      // Connected but hung: subscribed and never answering.
      const hung = b.deps.nats.nc.subscribe(subjects.ping("HUNG"));
      await b.deps.nats.nc.flush();
      t0 = Date.now();
      r = await call(b, "POST", "/api/agents/HUNG/ping?wait_secs=1");
      hung.unsubscribe();
      assert.equal(r.status, 408);
      assert.ok(Date.now() - t0 >= 900, "waited about wait_secs");
      assert.match(JSON.parse(r.text).error, /did not answer/);
    });

    await t.step("ping input errors are 400", async () => {
      assert.equal((await call(b, "POST", "/api/agents/OP1/ping?wait_secs=soon")).status, 400);
      assert.equal((await call(b, "POST", "/api/agents/a.b/ping")).status, 400);
    });

    await t.step("logs: text/plain tail from the agent", async () => {
      const r = await call(b, "GET", "/api/agents/OP1/logs?tail=2");
      assert.equal(r.status, 200, r.text);
      assert.equal(r.type, "text/plain; charset=utf-8");
      const lines = r.text.split("\n");
      assert.equal(lines.at(-1), "", "every line ends in a newline");
      assert.ok(lines.length - 1 <= 2 && lines.length - 1 >= 1, JSON.stringify(r.text));
      assert.match(r.text, /kanade_agent/);
    });

    await t.step("logs: the request on the wire is {tail_lines}", async () => {
      const sub = b.deps.nats.nc.subscribe(subjects.logsFetch("SPY"), { max: 1 });
      const seen = (async () => {
        for await (const m of sub) {
          m.respond("line one\nline two\n");
          return decodeLogsRequest(m.data);
        }
      })();
      const r = await call(b, "GET", "/api/agents/SPY/logs?tail=7");
      assert.equal(r.text, "line one\nline two\n");
      assert.deepEqual(await seen, { tail_lines: 7 });
      // The default; an out-of-range tail is a 400 and never reaches the agent.
      const sub2 = b.deps.nats.nc.subscribe(subjects.logsFetch("SPY"), { max: 2 });
      const got: number[] = [];
      const seen2 = (async () => {
        for await (const m of sub2) {
          got.push(decodeLogsRequest(m.data).tail_lines);
          m.respond("");
        }
      })();
      await call(b, "GET", "/api/agents/SPY/logs");
      const tooMany = await call(b, "GET", "/api/agents/SPY/logs?tail=99999999");
      assert.equal(tooMany.status, 400);
      assert.match(tooMany.text, /invalid query: tail: must be an integer 1\.\.100000/);
      await call(b, "GET", "/api/agents/SPY/logs?tail=100000");
      await seen2;
      assert.deepEqual(got, [500, 100_000]);
    });

    await t.step("logs: a silent agent is a 504 timeout", async () => {
      const sub = b.deps.nats.nc.subscribe(subjects.logsFetch("MUTE")); // never answers
      try {
        await assert.rejects(
          fetchAgentLogs(b.deps.nats, "MUTE", 10, 300),
          (e) => e instanceof UpstreamTimeoutError,
        );
      } finally {
        sub.unsubscribe();
      }
    });
  } finally {
    await fleet?.stop();
    await b.stop();
  }
});

Deno.test("DELETE /api/agents/:pc_id forgets an agent", async () => {
  const b = await startTestBackend();
  try {
    const insert = (pc: string) =>
      b.deps.db.execute({
        sql:
          "INSERT INTO agents (pc_id, hostname, last_heartbeat, agent_version, updated_at) VALUES (?, ?, ?, ?, ?)",
        args: [pc, pc, nowDb(), "1.0.0", nowDb()],
      });
    await insert("F1");
    await insert("F2");
    await b.json("PUT", "/api/agents/F1/groups", { groups: ["g"] });
    await b.json("PUT", "/api/agents/F2/groups", { groups: ["g"] });
    await b.json("PUT", "/api/pcs/F2/config", { heartbeat_interval: "5s" });

    const count = async (pc: string) =>
      Number(
        (await b.deps.db.execute({
          sql: "SELECT COUNT(*) AS n FROM agents WHERE pc_id = ?",
          args: [pc],
        }))
          .rows[0].n,
      );

    // Plain forget: the row goes, operator intent (groups) stays.
    assert.equal((await call(b, "DELETE", "/api/agents/F1")).status, 204);
    assert.equal(await count("F1"), 0);
    assert.deepEqual(await b.json("GET", "/api/agents/F1/groups"), { groups: ["g"] });
    assert.equal((await call(b, "DELETE", "/api/agents/F1")).status, 404);

    // Purge: groups and the pc scope go too.
    assert.equal((await call(b, "DELETE", "/api/agents/F2?purge=true")).status, 204);
    assert.equal(await count("F2"), 0);
    assert.deepEqual(await b.json("GET", "/api/agents/F2/groups"), { groups: [] });
    assert.deepEqual(await b.json("GET", "/api/pcs/F2/config"), {});
    await waitFor(
      async () =>
        await b.deps.nats.jsm.streams.getMessage("AUDIT", {
          last_by_subj: "audit.operator.agent_forget.F2",
        })
          .catch(() => null),
      { what: "forget audit" },
    );

    assert.equal((await call(b, "DELETE", "/api/agents/bad.id")).status, 400);
  } finally {
    await b.stop();
  }
});
