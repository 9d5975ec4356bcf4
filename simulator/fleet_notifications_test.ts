/**
 * Notifications end to end with the fleet CLI as its own process: the backend (API and
 * projectors, no cleanup sweep, so only the agents' own expiry check keeps an expired
 * notification off their screens) and `deno task fleet --notify-ack-share`. An operator
 * posts notifications through the API; the acknowledgements the simulated users send are
 * projected and read back through GET /api/notifications/{id}/ack_status: exactly the PCs
 * the configured share picks, none for a recalled notification, and a fleet that comes
 * online late acknowledges what is still valid but never an expired or recalled one. And in
 * process: an agent back from offline catches up from the stream, once per notification.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend, waitFor } from "../tests/helpers/backend.ts";
import { type FleetProcess, spawnFleet } from "../tests/helpers/fleet_process.ts";
import { acksIt, type NotifyAgent, notifySettings, shownBy } from "./notifications.ts";
import { startFleet } from "./fleet.ts";
import { startNatsServer } from "../tests/helpers/nats_server.ts";
import { connectNats } from "../lib/nats.ts";
import { setupJetStream } from "../lib/jetstream_setup.ts";
import { SUBJECT, subjects } from "../wire/names.ts";
import { wireTs } from "../wire/time.ts";
import { pcIdOf } from "./cli_args.ts";

interface AckStatus {
  id: string;
  acks: { pc_id: string; user_sid: string; acked_at: string }[];
}

const ackedBy = async (b: TestBackend, id: string) =>
  (await b.json<AckStatus>("GET", `/api/notifications/${id}/ack_status`)).acks
    .map((a) => a.pc_id).sort();

const post = (b: TestBackend, body: Record<string, unknown>) =>
  b.json<{ id: string; subjects: string[] }>("POST", "/api/notifications", {
    priority: "info",
    title: "Patch night",
    body: "Leave your PC on tonight",
    require_ack: true,
    target: { all: true },
    ...body,
  });

const ids = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => pcIdOf(prefix, i, n));

Deno.test({
  name: "fleet process: simulated users acknowledge the configured share; late agents skip expired",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const b = await startTestBackend({ projectors: true });
    const fleets: FleetProcess[] = [];
    try {
      const share = 0.5;
      const live = ids("N-", 30);
      fleets.push(
        await spawnFleet([
          ...["--agents", "30", "--prefix", "N-", "--nats", b.broker.url, "--no-perf"],
          ...["--heartbeat-secs", "1", "--notify-ack-share", String(share), "--report-secs", "0.2"],
          ...["--notify-ack-delay-ms", "2500"],
        ]),
      );

      // Acknowledged by exactly the PCs the share picks (stable per PC and notification).
      const kept = await post(b, { title: "Patch night" });
      const want = live.filter((pc) => acksIt(pc, kept.id, share));
      assert.ok(want.length > 5 && want.length < 25, `share picked ${want.length} of 30`);
      await waitFor(async () => (await ackedBy(b, kept.id)).length === want.length, {
        what: `${want.length} acks`,
        timeoutMs: 20_000,
      });
      assert.deepEqual(await ackedBy(b, kept.id), want);

      // Recalled before any user got to it (acks come 2.5 s after showing): never acked.
      const recalled = await post(b, { title: "Wrong date" });
      const res = await b.request(`/api/notifications/${recalled.id}/recall`, { method: "POST" });
      assert.equal(res.status, 204);
      // Every live agent showed it, then took it off its screen (notif-amend).
      await waitFor(() => fleets[0].lastStats()?.notify_recalled === live.length, {
        what: "30 agents withdraw the recalled notification",
      });

      // Valid for 3 s: the live fleet shows it, a fleet started after expiry must not.
      const expiresMs = Date.now() + 3000;
      const short = await post(b, {
        title: "Reboot in 5 minutes",
        expires_at: new Date(expiresMs).toISOString(),
      });
      const liveShort = live.filter((pc) => acksIt(pc, short.id, share));
      await waitFor(async () => (await ackedBy(b, short.id)).length === liveShort.length, {
        what: "the live fleet acknowledges the short-lived notification",
        timeoutMs: 20_000,
      });
      assert.deepEqual(await ackedBy(b, short.id), liveShort);
      await new Promise((r) => setTimeout(r, Math.max(0, expiresMs - Date.now() + 200)));

      // Posted last and valid: each late agent's catch-up shows it last, so its ack is the
      // last in that agent's outbox; once those are projected nothing else is in flight.
      const last = await post(b, { title: "Thanks" });

      // Agents that come online late: every user acknowledges what they are shown.
      const late = ids("LATE-", 8);
      fleets.push(
        await spawnFleet([
          ...["--agents", "8", "--prefix", "LATE-", "--nats", b.broker.url, "--no-perf"],
          ...["--notify-ack-share", "1", "--notify-ack-delay-ms", "0"],
        ]),
      );
      await waitFor(
        async () => (await ackedBy(b, last.id)).filter((pc) => pc.startsWith("LATE-")).length === 8,
        {
          what: "late agents acknowledge the last notification",
          timeoutMs: 20_000,
        },
      );
      assert.deepEqual(await ackedBy(b, kept.id), [...want, ...late].sort());
      // The expired and the recalled ones reached no late agent.
      assert.deepEqual(await ackedBy(b, short.id), liveShort);
      assert.deepEqual(await ackedBy(b, recalled.id), []);
    } finally {
      for (const f of fleets) await f.stop();
      await b.stop();
    }
  },
});

Deno.test({
  name: "fleet: an agent back from offline catches up on what is still valid, once",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const broker = await startNatsServer();
    const nats = await connectNats({ natsServers: [broker.url] }, "sim-notify-churn");
    await setupJetStream(nats);
    notifySettings.ackDelayMs = 0;
    const fleet = await startFleet({ natsUrl: broker.url, agents: ["PC-A", "PC-B"], perf: false });
    const shown = (pc: string) =>
      shownBy(fleet.agent(pc) as unknown as NotifyAgent).map((n) => n.id);
    const send = (subject: string, id: string, expiresAt?: number) =>
      nats.js.publish(
        subject,
        JSON.stringify({
          id,
          priority: "info",
          require_ack: false,
          title: id,
          body: "",
          toast: false,
          issued_at: wireTs(Date.now()),
          ...(expiresAt ? { expires_at: wireTs(expiresAt) } : {}),
        }),
      );
    try {
      fleet.setOnline("PC-B", false);
      await fleet.flush();
      await send(SUBJECT.notificationsAll, "n-all");
      await send(subjects.notificationsPc("PC-B"), "n-short", Date.now() + 300);
      await send(subjects.notificationsPc("PC-B"), "n-mine");
      await send(subjects.notificationsPc("PC-A"), "n-other");
      await waitFor(() => shown("PC-A").length === 2, { what: "PC-A shows its two live" });
      assert.deepEqual(shown("PC-B"), [], "offline: nothing reaches it");
      await new Promise((r) => setTimeout(r, 400)); // n-short expires while PC-B is away
      fleet.setOnline("PC-B", true);
      await waitFor(() => shown("PC-B").length === 2, { what: "PC-B catches up" });
      assert.deepEqual(shown("PC-B"), ["n-all", "n-mine"]);
      // Coming back again shows nothing twice (one inbox entry per id).
      fleet.setOnline("PC-B", false);
      fleet.setOnline("PC-B", true);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(shown("PC-B"), ["n-all", "n-mine"]);
      assert.deepEqual(shown("PC-A"), ["n-all", "n-other"]);
    } finally {
      notifySettings.ackDelayMs = 200;
      await fleet.stop();
      await nats.close();
      await broker.stop();
    }
  },
});
