/**
 * Acceptance check of issue 6 (run by hand, not part of `deno task test`):
 *
 *   deno run -A tests/e2e/acceptance.ts [--agents 1000]
 *       private broker + `main.ts` (what `deno task dev` runs) + `deno task fleet` as children
 *   deno run -A tests/e2e/acceptance.ts --url http://127.0.0.1:8080 --nats nats://127.0.0.1:4222
 *       against an already running `deno task dev` (auth disabled)
 *
 * Checks: N agents online in `GET /api/agents` within one heartbeat interval of the fleet
 * starting, and an exec to `all` yields N finished results in `GET /api/results`.
 * Prints one JSON line with the timings; exit code 1 when a check fails.
 */
import { startNatsServer } from "../helpers/nats_server.ts";
import { spawnFleet } from "../helpers/fleet_process.ts";
import { apiCall, spawnBackend } from "./backend_process.ts";
import { parseDurationMs } from "../../wire/duration.ts";

function opt(name: string): string | undefined {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

const n = Number(opt("--agents") ?? 1000);
const prefix = opt("--prefix") ?? `ACC${Date.now() % 100000}-`;
let url = opt("--url");
let natsUrl = opt("--nats") ?? "nats://127.0.0.1:4222";
const cleanups: (() => Promise<void>)[] = [];
const report: Record<string, unknown> = { agents: n };
let ok = true;
try {
  if (!url) {
    const broker = await startNatsServer();
    cleanups.push(() => broker.stop());
    natsUrl = broker.url;
    const backend = await spawnBackend(broker.url);
    cleanups.push(() => backend.stop());
    url = backend.url;
  }
  const cfg = (await apiCall(url, "GET", "/api/config")).json<
    { heartbeat_interval?: string } | null
  >();
  const intervalMs = parseDurationMs(cfg?.heartbeat_interval ?? "30s");
  report.heartbeat_interval_ms = intervalMs;

  const t0 = Date.now();
  const fleet = await spawnFleet(["--agents", String(n), "--nats", natsUrl, "--prefix", prefix]);
  cleanups.unshift(() => fleet.stop());
  let online = 0;
  for (;;) {
    const rows =
      (await apiCall(url, "GET", `/api/agents?limit=${n}&q=${encodeURIComponent(prefix)}`))
        .json<{ pc_id: string; last_heartbeat: string }[]>();
    online = rows.filter((r) =>
      r.pc_id.startsWith(prefix) && Date.parse(r.last_heartbeat) >= t0
    ).length;
    if (online >= n || Date.now() - t0 > intervalMs + 30_000) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const onlineMs = Date.now() - t0;
  report.online = online;
  report.online_after_ms = onlineMs;
  report.online_within_one_interval = online >= n && onlineMs <= intervalMs;
  ok &&= report.online_within_one_interval as boolean;

  await apiCall(
    url,
    "POST",
    "/api/jobs",
    "id: acceptance-echo\nversion: 1.0.0\nexecute:\n  shell: powershell\n  script: echo accepted {{pc_id}}\n  timeout: 60s\n",
    "application/yaml",
  );
  const t1 = Date.now();
  const ex = (await apiCall(url, "POST", "/api/exec/acceptance-echo", { target: { all: true } }))
    .json<{ exec_id: string }>();
  let finished = 0;
  for (;;) {
    const rows = (await apiCall(url, "GET", `/api/results?exec_id=${ex.exec_id}&limit=1000`))
      .json<{ pc_id: string; finished_at: string | null; exit_code: number | null }[]>();
    finished = rows.filter((r) => r.pc_id.startsWith(prefix) && r.finished_at && r.exit_code === 0)
      .length;
    if (finished >= n || Date.now() - t1 > 60_000) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  report.finished_results = finished;
  report.exec_all_finished_after_ms = Date.now() - t1;
  ok &&= finished >= n;
} catch (e) {
  ok = false;
  report.error = (e as Error).message;
} finally {
  for (const c of cleanups) await c().catch(() => {});
}
report.ok = ok;
console.log(JSON.stringify(report));
Deno.exit(ok ? 0 : 1);
