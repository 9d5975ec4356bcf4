/**
 * docs/checks.md (the README's worked example for compliance checks) run as written: its
 * job and schedule YAML and its curl calls go to a backend with the scheduler and the
 * projectors, a simulated fleet answers the check (simulator/checks.ts), and what the page
 * says GET /api/checks shows is what it shows — the response's shape, the counts of the
 * first scheduled round, the transitions, and a stale row as section 5 describes it.
 *
 * The schedule reconciles at the top of each minute, so this test waits up to a minute
 * for the first round.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend, waitFor } from "./helpers/backend.ts";
import { startFleet } from "../simulator/fleet.ts";
import { baseStatus, checkSettings, DEFAULT_MIX, type MixStatus } from "../simulator/checks.ts";
import { type ChecksView, ChecksViewSchema } from "../lib/reads/checks.ts";
import { dbTs } from "../wire/time.ts";

const DOC = new URL("../docs/checks.md", import.meta.url);
const PCS = Array.from({ length: 12 }, (_, i) => `PC-${String(i + 1).padStart(4, "0")}`);

interface Call {
  path: string;
  method: "GET" | "POST";
  contentType?: string;
  file?: string;
  auth: boolean;
}

/** The page's fenced blocks: YAML files by the name on their first line, curl calls, JSON. */
function readDoc(text: string) {
  const files = new Map<string, string>();
  const calls: Call[] = [];
  const json: unknown[] = [];
  for (const [, lang, body] of text.matchAll(/```(\w+)\n([\s\S]*?)```/g)) {
    if (lang === "yaml") {
      const name = /^# (\S+\.yaml)\n/.exec(body)?.[1];
      if (name) files.set(name, body);
    } else if (lang === "json") json.push(JSON.parse(body));
    else if (lang === "sh" && body.includes("$KANADE")) {
      for (const line of body.replace(/\\\n\s*/g, " ").split("\n")) {
        if (!line.startsWith("curl ")) continue;
        const file = /--data-binary @(\S+)/.exec(line)?.[1];
        calls.push({
          path: /"\$KANADE(\/[^"]*)"/.exec(line)![1],
          method: file ? "POST" : "GET",
          contentType: /'content-type: ([^']+)'/.exec(line)?.[1],
          file,
          auth: line.includes(`-H "authorization: Bearer $TOKEN"`),
        });
      }
    }
  }
  return { files, calls, json };
}

async function call(b: TestBackend, c: Call, files: Map<string, string>) {
  const body = c.file ? files.get(c.file) : undefined;
  assert.ok(!c.file || body, `the page has no block for @${c.file}`);
  const res = await b.request(c.path, {
    method: c.method,
    headers: c.contentType ? { "content-type": c.contentType } : {},
    body,
  });
  const text = await res.text();
  assert.equal(res.status, 200, `${c.method} ${c.path}: ${text}`);
  return JSON.parse(text);
}

const keys = (o: object) => Object.keys(o).sort();

Deno.test({
  name: "docs/checks.md: the job, the 15-minute schedule and the API calls work as written",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const doc = readDoc(await Deno.readTextFile(DOC));
    assert.deepEqual([...doc.files.keys()], ["check-bitlocker.yaml", "bitlocker-every-15m.yaml"]);
    assert.deepEqual(doc.calls.map((c) => `${c.method} ${c.path}`), [
      "POST /api/jobs",
      "POST /api/schedules",
      "GET /api/schedules/upcoming",
      "GET /api/checks?check=bitlocker",
      "GET /api/checks/transitions?check=bitlocker",
    ]);
    assert.ok(doc.calls.every((c) => c.auth), "every call sends the bearer token");
    // The example answer is a valid answer of the route.
    assert.equal(doc.json.length, 1);
    const example = ChecksViewSchema.strict().parse(doc.json[0]);

    const mix = { ok: 3, warn: 1, fail: 1, unknown: 1 };
    checkSettings.mix = mix;
    const b = await startTestBackend({ projectors: true, scheduler: true });
    const fleet = await startFleet({
      natsUrl: b.broker.url,
      agents: PCS,
      heartbeatIntervalMs: 1000,
      perf: false,
    });
    try {
      // Once the backend sees the agents alive, a per_pc schedule has someone to run at.
      await waitFor(async () => (await b.json<unknown[]>("GET", "/api/agents")).length === 12, {
        what: "12 agents alive",
      });
      const [job, schedule, upcoming] = doc.calls;
      assert.equal((await call(b, job, doc.files)).id, "check-bitlocker");
      await call(b, schedule, doc.files);
      const next = (await call(b, upcoming, doc.files)) as { id: string; when: string }[];
      const mine = next.find((s) => s.id === "bitlocker-every-15m");
      assert.equal(mine?.when, "per_pc every 15m");

      // The first scheduled round: every PC's status, as the mix gives it.
      const want: Record<MixStatus, number> = { ok: 0, warn: 0, fail: 0, unknown: 0 };
      for (const pc of PCS) want[baseStatus(pc, "bitlocker", mix)]++;
      const checks = () => call(b, doc.calls[3], doc.files) as Promise<ChecksView>;
      const v = await waitFor(async () => {
        const r = await checks();
        const c = r.counts[0];
        return c && c.ok + c.warn + c.fail + c.unknown === 12 ? r : null;
      }, { what: "the first scheduled round of the check", timeoutMs: 90_000, intervalMs: 500 });
      const { stale: _s, check_name, label, ...counts } = v.counts[0];
      assert.deepEqual({ check_name, label, ...counts }, {
        check_name: "bitlocker",
        label: "BitLocker on C:",
        ...want,
      });
      assert.equal(v.stale_days, 30);
      assert.deepEqual(v.rows.length, 12 - want.ok, "rows leave the passing PCs out");
      assert.deepEqual(keys(v), keys(example));
      assert.deepEqual(keys(v.counts[0]), keys(example.counts[0]));
      assert.deepEqual(keys(v.rows[0]), keys(example.rows[0]));
      const fired = await b.json<{ initiated_by: string }[]>(
        "GET",
        "/api/executions?job_id=check-bitlocker",
      );
      assert.ok(fired.length >= 1 && fired.every((e) => e.initiated_by === "scheduler"));

      const t = await call(b, doc.calls[4], doc.files) as {
        transitions: { pc_id: string; from_status: string | null }[];
      };
      assert.deepEqual(t.transitions.map((x) => x.pc_id).sort(), PCS);
      assert.ok(t.transitions.every((x) => x.from_status === null), "first reports");

      // Section 5: a passing PC that stopped reporting 31 days ago is stale, not ok.
      const quiet = PCS.find((pc) => baseStatus(pc, "bitlocker", mix) === "ok")!;
      await b.deps.db.execute({
        sql: "UPDATE check_status SET recorded_at = ? WHERE pc_id = ? AND check_name = ?",
        args: [dbTs(Date.now() - 31 * 86_400_000), quiet, "bitlocker"],
      });
      const aged = await checks();
      assert.equal(aged.counts[0].stale, 1);
      assert.equal(aged.counts[0].ok, want.ok - 1, "a stale row is not counted as passing");
      assert.deepEqual(
        aged.rows.filter((r) => r.stale).map((r) => [r.pc_id, r.status]),
        [[quiet, "ok"]],
      );
      const fresh = await b.json<ChecksView>(
        "GET",
        "/api/checks?check=bitlocker&include_stale=false",
      );
      assert.ok(!fresh.rows.some((r) => r.pc_id === quiet));
    } finally {
      checkSettings.mix = { ...DEFAULT_MIX };
      await fleet.stop();
      await b.stop();
    }
  },
});
