/**
 * Compliance checks end to end with the fleet CLI as its own process: a job with a `check:`
 * hint registered and executed through the API, answered by `deno task fleet --check-mix
 * ... --check-flip ...`, projected by the backend and read back through GET /api/checks:
 * the counts and rows are exactly the statuses the mix gives each PC, a second run agrees
 * except for the flipping share, and those flips are the transitions the API lists; the
 * CLI's stats line counts the answers by status.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend, waitFor } from "../tests/helpers/backend.ts";
import { type FleetProcess, spawnFleet } from "../tests/helpers/fleet_process.ts";
import { type CheckSettings, flips, parseMix, statusOfRun } from "./checks.ts";
import { pcIdOf } from "./cli_args.ts";
import { epochMs } from "../wire/time.ts";

/** The parts of GET /api/checks this test reads (simulator/ may not import lib/reads/). */
type CheckCounts =
  & { check_name: string; label: string | null }
  & Record<
    "ok" | "warn" | "fail" | "unknown" | "stale",
    number
  >;
interface ChecksView {
  counts: CheckCounts[];
  rows: { pc_id: string; status: string; detail: string | null; recorded_at: string | null }[];
}

const AGENTS = 60;
const MIX = "ok=60,warn=20,fail=12,unknown=8";
const settings: CheckSettings = { mix: parseMix(MIX), flip: 0.3 };
const PCS = Array.from({ length: AGENTS }, (_, i) => pcIdOf("C-", i, AGENTS));

const JOB = {
  id: "chk-firewall",
  version: "1.0.0",
  execute: {
    shell: "powershell",
    script: "Get-NetFirewallProfile | ConvertTo-Json",
    timeout: "60s",
  },
  check: { name: "firewall", label: "Firewall on", status_field: "state", detail_field: "why" },
};

/** What GET /api/checks must show after the agents' run number `run`. */
function expected(run: number) {
  const counts = { ok: 0, warn: 0, fail: 0, unknown: 0 };
  const notOk: [string, string][] = [];
  for (const pc of PCS) {
    const s = statusOfRun(pc, "firewall", run, settings);
    counts[s]++;
    if (s !== "ok") notOk.push([pc, s]);
  }
  return { counts, notOk };
}

const checks = (b: TestBackend, q = "") => b.json<ChecksView>("GET", `/api/checks${q}`);

/** Exec the job to all and wait until every PC's row was recorded by this run. */
async function runOnce(b: TestBackend) {
  const since = Date.now();
  await b.json("POST", `/api/exec/${JOB.id}`, { target: { all: true } });
  return await waitFor(async () => {
    const v = await checks(b, "?include_ok=true");
    // recorded_at is the broker's publish time (same host clock), after `since`.
    const fresh = v.rows.filter((r) => r.recorded_at && epochMs(r.recorded_at) >= since);
    return fresh.length === AGENTS ? v : null;
  }, { what: `${AGENTS} check rows of this run`, timeoutMs: 30_000 });
}

function shown(v: ChecksView) {
  const c = v.counts.find((x) => x.check_name === "firewall")!;
  return {
    counts: { ok: c.ok, warn: c.warn, fail: c.fail, unknown: c.unknown },
    label: c.label,
    stale: c.stale,
  };
}

Deno.test({
  name:
    "fleet process: a check job's results in GET /api/checks match --check-mix; flips are transitions",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const b = await startTestBackend({ projectors: true });
    let fleet: FleetProcess | null = null;
    try {
      await b.json("POST", "/api/jobs", JOB);
      fleet = await spawnFleet([
        ...["--agents", String(AGENTS), "--prefix", "C-", "--nats", b.broker.url, "--no-perf"],
        ...["--check-mix", MIX, "--check-flip", String(settings.flip), "--report-secs", "0.2"],
      ]);

      const first = expected(0);
      assert.ok(Object.values(first.counts).every((n) => n > 0), JSON.stringify(first.counts));
      await runOnce(b);
      let v = await checks(b);
      assert.deepEqual(shown(v), { counts: first.counts, label: "Firewall on", stale: 0 });
      // Rows without ok by default: exactly the PCs the mix does not pass, with their status.
      assert.deepEqual(v.rows.map((r) => [r.pc_id, r.status]), first.notOk);
      const unknownRow = v.rows.find((r) => r.status === "unknown")!;
      assert.match(
        unknownRow.detail!,
        /^check script exited 1: Firewall on: simulated check error/,
      );
      assert.match(v.rows.find((r) => r.status === "fail")!.detail!, /not compliant/);

      // The second run: the same statuses except the flipping PCs, which changed.
      const flipping = PCS.filter((pc) => flips(pc, "firewall", settings.flip));
      assert.ok(flipping.length > 5 && flipping.length < 35, `${flipping.length} flip`);
      await runOnce(b);
      v = await checks(b);
      assert.deepEqual(shown(v).counts, expected(1).counts);
      assert.deepEqual(v.rows.map((r) => [r.pc_id, r.status]), expected(1).notOk);
      const t = await b.json<{ transitions: { pc_id: string; from_status: string | null }[] }>(
        "GET",
        "/api/checks/transitions?check=firewall&limit=5000",
      );
      const changed = t.transitions.filter((x) => x.from_status !== null).map((x) => x.pc_id);
      assert.deepEqual(changed.sort(), flipping);
      // The stats line counts the answers by status (both runs).
      const both = { ok: 0, warn: 0, fail: 0, unknown: 0 };
      for (const run of [0, 1]) {
        for (const [k, n] of Object.entries(expected(run).counts)) {
          both[k as keyof typeof both] += n;
        }
      }
      const line = await waitFor(() => {
        const st = fleet!.lastStats();
        return st && st.check_ok + st.check_warn + st.check_fail + st.check_unknown === 2 * AGENTS
          ? st
          : null;
      }, { what: "a stats line after both runs" });
      assert.deepEqual(
        [line.check_ok, line.check_warn, line.check_fail, line.check_unknown],
        [both.ok, both.warn, both.fail, both.unknown],
      );
    } finally {
      await fleet?.stop();
      await b.stop();
    }
  },
});
