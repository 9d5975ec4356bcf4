/**
 * Groups over the API with a real broker: compare-and-swap under concurrency, no-op edits,
 * delete markers, validation, the fleet-wide list, and — with the fleet simulator — that a
 * group edit changes which agents receive `commands.group.<g>`.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend, waitFor } from "./helpers/backend.ts";
import { startFleet } from "../simulator/fleet.ts";
import { BUCKET, subjects } from "../wire/names.ts";

async function groupsRevision(b: TestBackend, pc: string): Promise<number | null> {
  const e = await (await b.deps.nats.kv(BUCKET.agentGroups)).get(pc);
  return e && e.operation === "PUT" ? e.revision : null;
}

Deno.test("groups: concurrent edits survive, no-op edits write nothing", async (t) => {
  const b = await startTestBackend();
  try {
    await t.step("twenty concurrent adds to one PC all survive", async () => {
      const names = Array.from({ length: 20 }, (_, i) => `g${String(i).padStart(2, "0")}`);
      const results = await Promise.all(
        names.map((group) => b.call("POST", "/api/agents/PC1/groups", { group })),
      );
      assert.ok(
        results.every((r) => r.status === 200),
        JSON.stringify(results.map((r) => r.status)),
      );
      const got = await b.call("GET", "/api/agents/PC1/groups");
      assert.deepEqual(got.body, { groups: names });
    });

    await t.step("a no-op add, remove or replace does not bump the revision", async () => {
      const before = await groupsRevision(b, "PC1");
      assert.ok(before);
      assert.equal((await b.call("POST", "/api/agents/PC1/groups", { group: "g05" })).status, 200);
      assert.equal((await b.call("DELETE", "/api/agents/PC1/groups/not-a-member")).status, 200);
      const all = (await b.call("GET", "/api/agents/PC1/groups")).body.groups as string[];
      const put = await b.call("PUT", "/api/agents/PC1/groups", { groups: [...all].reverse() });
      assert.deepEqual(put.body.groups, all);
      assert.equal(await groupsRevision(b, "PC1"), before);
    });

    await t.step("a no-op edit never creates the key", async () => {
      const r = await b.call("DELETE", "/api/agents/PC-NEW/groups/x");
      assert.deepEqual(r.body, { groups: [] });
      assert.equal(await groupsRevision(b, "PC-NEW"), null);
      await b.call("PUT", "/api/agents/PC-NEW/groups", { groups: [] });
      assert.equal(await groupsRevision(b, "PC-NEW"), null);
    });

    await t.step("a real change bumps the revision; remove works", async () => {
      const before = await groupsRevision(b, "PC1");
      const r = await b.call("DELETE", "/api/agents/PC1/groups/g00");
      assert.equal(r.body.groups.includes("g00"), false);
      assert.ok((await groupsRevision(b, "PC1"))! > before!);
    });

    await t.step("writing over a delete marker starts from empty", async () => {
      await (await b.deps.nats.kv(BUCKET.agentGroups)).delete("PC1");
      const r = await b.call("POST", "/api/agents/PC1/groups", { group: "fresh" });
      assert.deepEqual(r.body, { groups: ["fresh"] });
    });

    await t.step("PUT sorts and de-duplicates; the stored bytes are canonical", async () => {
      const r = await b.call("PUT", "/api/agents/PC2/groups", {
        groups: ["wave1", "dept-eng", "wave1"],
      });
      assert.deepEqual(r.body, { groups: ["dept-eng", "wave1"] });
      const e = await (await b.deps.nats.kv(BUCKET.agentGroups)).get("PC2");
      assert.equal(e?.string(), '{"groups":["dept-eng","wave1"]}');
    });

    await t.step("an upstream bare-array entry is read", async () => {
      await (await b.deps.nats.kv(BUCKET.agentGroups)).put("PC3", '["b","a"]');
      assert.deepEqual((await b.call("GET", "/api/agents/PC3/groups")).body, {
        groups: ["a", "b"],
      });
    });

    await t.step("GET /api/groups lists members and has_config", async () => {
      await b.call("PUT", "/api/groups/dept-eng/config", { heartbeat_interval: "5s" });
      await b.call("PUT", "/api/groups/empty-group/config", { heartbeat_interval: "5s" });
      const r = await b.call("GET", "/api/groups");
      const byName = Object.fromEntries(
        (r.body.groups as { name: string; members: string[] }[]).map((g) => [g.name, g]),
      );
      assert.deepEqual(byName["dept-eng"], {
        name: "dept-eng",
        members: ["PC2"],
        has_config: true,
      });
      assert.deepEqual(byName["a"], { name: "a", members: ["PC3"], has_config: false });
      assert.deepEqual(byName["empty-group"], {
        name: "empty-group",
        members: [],
        has_config: true,
      });
      assert.deepEqual(byName["fresh"].members, ["PC1"]);
    });

    await t.step("bad input is a 400 with a message", async () => {
      const cases: [string, string, unknown][] = [
        ["POST", "/api/agents/PC1/groups", { group: "" }],
        ["POST", "/api/agents/PC1/groups", { group: "a.b" }],
        ["POST", "/api/agents/PC1/groups", { group: "has space" }],
        ["POST", "/api/agents/PC1/groups", { nope: 1 }],
        ["PUT", "/api/agents/PC1/groups", { groups: ["ok", "bad*"] }],
        ["PUT", "/api/agents/PC1/groups", { groups: "ok" }],
        ["GET", "/api/agents/a.b/groups", undefined],
        ["DELETE", "/api/agents/PC1/groups/a%3Eb", undefined],
      ];
      for (const [method, path, body] of cases) {
        const r = await b.call(method, path, body);
        assert.equal(r.status, 400, `${method} ${path} ${JSON.stringify(body)} -> ${r.status}`);
        assert.equal(typeof r.body.error, "string");
      }
    });

    await t.step("a corrupt stored entry is reported, never clobbered by an add", async () => {
      await (await b.deps.nats.kv(BUCKET.agentGroups)).put("PC4", "{not json");
      const r = await b.call("POST", "/api/agents/PC4/groups", { group: "x" });
      assert.equal(r.status, 500);
      assert.match(r.body.error, /not decodable/);
      // PUT is a replace, so it repairs the entry.
      assert.deepEqual((await b.call("PUT", "/api/agents/PC4/groups", { groups: ["x"] })).body, {
        groups: ["x"],
      });
    });

    await t.step("edits are audited with the caller", async () => {
      const msgs = await b.deps.nats.jsm.streams.getMessage("AUDIT", {
        last_by_subj: "audit.operator.agent_groups_set.PC4",
      });
      assert.ok(msgs);
      const ev = msgs.json<{ payload: Record<string, unknown> }>();
      assert.deepEqual(ev.payload.groups, ["x"]);
      assert.ok("sub" in ev.payload);
    });
  } finally {
    await b.stop();
  }
});

Deno.test("groups: an edit changes which agents receive commands.group.<g>", async () => {
  const b = await startTestBackend();
  const fleet = await startFleet({
    natsUrl: b.broker.url,
    agents: ["GA1", "GA2", "GA3"],
    heartbeatIntervalMs: 60_000,
  });
  let n = 0;
  const send = async (group: string) => {
    const requestId = `probe-${++n}`;
    const cmd = {
      id: "probe",
      version: "1",
      request_id: requestId,
      exec_id: null,
      shell: "sh",
      script: "echo hi",
      timeout_secs: 5,
      run_as: "system",
    };
    await b.deps.nats.js.publish(subjects.commandsGroup(group), JSON.stringify(cmd));
    return requestId;
  };
  const got = (pc: string, rid: string) =>
    fleet.agent(pc).commands.some((c) => c.request_id === rid);
  try {
    await b.json("PUT", "/api/agents/GA1/groups", { groups: ["canary"] });
    await b.json("POST", "/api/agents/GA2/groups", { group: "canary" });
    await waitFor(
      () =>
        fleet.agent("GA1").groups.includes("canary") &&
        fleet.agent("GA2").groups.includes("canary"),
      {
        what: "agents to see their canary membership",
      },
    );
    // Seeing the membership starts the group subscription; a core publish before the broker
    // has it would be missed (as by a real agent, which then relies on the EXEC replay).
    await fleet.flush();
    const r1 = await send("canary");
    await waitFor(() => got("GA1", r1) && got("GA2", r1), { what: "canary members to receive" });
    assert.equal(got("GA3", r1), false);

    // Move GA2 out and GA3 in.
    await b.json("DELETE", "/api/agents/GA2/groups/canary");
    await b.json("POST", "/api/agents/GA3/groups", { group: "canary" });
    await waitFor(
      () =>
        !fleet.agent("GA2").groups.includes("canary") &&
        fleet.agent("GA3").groups.includes("canary"),
      {
        what: "membership change to reach the agents",
      },
    );
    await fleet.flush();
    const r2 = await send("canary");
    await waitFor(() => got("GA1", r2) && got("GA3", r2), {
      what: "new canary members to receive",
    });
    // Give a stray delivery to GA2 a moment to show up before asserting its absence.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(got("GA2", r2), false);
  } finally {
    await fleet.stop();
    await b.stop();
  }
});
