/**
 * How long `POST /api/exec` waits for the broker once its Command is published to a large
 * group: upstream's publish + flush (whose PONG follows the broker's fan-out to every
 * subscription) against the exec pipeline's `publishCommand` (EXEC's ack: the Command is
 * stored for every agent). Same broker with the backend's own streams, same payload, same
 * subscriptions (4 connections, as the 100k simulator's processes), alternated in one run.
 */
import type { BenchRow, BenchSuite } from "./types.ts";
import { loadAvg, median } from "./types.ts";
import { startNatsServer } from "../tests/helpers/nats_server.ts";
import { connectNats } from "../lib/nats.ts";
import { setupJetStream } from "../lib/jetstream_setup.ts";
import { publishCommand } from "../lib/exec/command_publish.ts";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jsonBytes } from "../wire/codec.ts";
import { subjects } from "../wire/names.ts";

const PAYLOAD = jsonBytes({
  id: "scale-echo",
  version: "1",
  request_id: crypto.randomUUID(),
  exec_id: crypto.randomUUID(),
  shell: "powershell",
  script: "Get-Service | Format-Table",
  timeout_secs: 120,
  jitter_secs: null,
  run_as: "system",
});
type Mode = "publish + flush (upstream)" | "publishCommand (EXEC ack)";
const MODES: Mode[] = ["publish + flush (upstream)", "publishCommand (EXEC ack)"];

export const suite: BenchSuite = {
  name: "command_publish",
  async run(ctx) {
    const sizes = ctx.quick ? [5_000] : [10_000, 50_000];
    const rounds = ctx.quick ? 3 : 9;
    const broker = await startNatsServer();
    const nats = await connectNats({ natsServers: [broker.url] }, "bench-command-publish");
    const rows: BenchRow[] = [];
    const subscribers: NatsConnection[] = [];
    try {
      await setupJetStream(nats);
      const subject = subjects.commandsGroup("a");
      let delivered = 0;
      let subscribed = 0;
      for (const size of sizes) {
        while (subscribed < size) {
          const nc = await connect({ servers: broker.url });
          subscribers.push(nc);
          for (let i = 0; i < size / 4 && subscribed < size; i++, subscribed++) {
            nc.subscribe(subject, { callback: () => void delivered++ });
          }
          await nc.flush();
        }
        await Promise.all(subscribers.map((nc) => nc.flush()));
        const ms = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
        for (let r = 0; r < rounds + 1; r++) {
          for (const m of MODES) {
            const before = delivered;
            const t0 = performance.now();
            if (m === MODES[0]) {
              nats.nc.publish(subject, PAYLOAD);
              await nats.nc.flush();
            } else {
              await publishCommand(nats.nc, [subject], PAYLOAD, 10_000);
            }
            const took = performance.now() - t0;
            // The next round starts when every subscription has its copy.
            const until = Date.now() + 30_000;
            while (delivered - before < size && Date.now() < until) {
              await new Promise((res) => setTimeout(res, 5));
            }
            if (delivered - before < size) {
              throw new Error(`${m}: ${delivered - before} of ${size} copies delivered`);
            }
            if (r > 0) ms.get(m)!.push(took); // round 0 warms both paths
          }
        }
        const load = loadAvg();
        const ratio = median(ms.get(MODES[0])!) / median(ms.get(MODES[1])!);
        for (const m of MODES) {
          ctx.log(`${size} subscriptions, ${m}: ${ms.get(m)!.map((v) => v.toFixed(1)).join(" ")}`);
          rows.push({
            name: `Command to a group of ${size} subscriptions, ${m}: wait for the broker`,
            median: Number(median(ms.get(m)!).toFixed(2)),
            unit: "ms",
            samples: ms.get(m)!.map((v) => Number(v.toFixed(2))),
            note:
              `${PAYLOAD.length} B, 4 subscriber connections, ${rounds} rounds alternated; load ${load}` +
              (m === MODES[1] ? `; ${ratio.toFixed(1)}× shorter than publish + flush` : ""),
          });
        }
      }
    } finally {
      for (const nc of subscribers) await nc.close().catch(() => {});
      await nats.close();
      await broker.stop();
    }
    return rows;
  },
};
