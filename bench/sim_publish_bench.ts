/**
 * The simulator's JetStream publishes (each simulated agent publishes its `events.started`
 * and its result, ~200,000 per exec to a 100,000-agent fleet): CPU of the publishing
 * process per publish, nats.js `js.publish` against the simulator's own acked publisher
 * (lib/acked_publish.ts), same broker, same bodies, same in-flight cap, alternated in
 * one run. The simulator shares the box with the backend under test: what it saves is CPU
 * the backend and the broker get during a burst.
 */
import type { BenchRow, BenchSuite } from "./types.ts";
import { loadAvg, median } from "./types.ts";
import { startNatsServer } from "../tests/helpers/nats_server.ts";
import { connectNats, type Nats } from "../lib/nats.ts";
import { AckedPublisher } from "../lib/acked_publish.ts";
import { PublishGate } from "../simulator/publish_gate.ts";
import { sampleProc } from "../simulator/self_report.ts";

/** A result body of about the simulator's mean realistic size (stdout.ts: ~1.9 KB). */
const BODY = JSON.stringify({ stdout: "Running        wuauserv\n".repeat(75) });

type Mode = "nats.js js.publish" | "simulator AckedPublisher";

async function pass(nats: Nats, acks: AckedPublisher, mode: Mode, n: number) {
  const gate = new PublishGate(1000); // the simulator's default --max-inflight
  const cpu0 = sampleProc(Deno.pid)!.cpuSecs;
  const t0 = performance.now();
  const all: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const subject = `benchpub.${i % 1000}`;
    all.push(
      gate.run(() =>
        mode === "nats.js js.publish"
          ? nats.js.publish(subject, BODY, { timeout: 5000 })
          : acks.publish(subject, BODY)
      ),
    );
  }
  const settled = await Promise.allSettled(all);
  const failed = settled.filter((s) => s.status === "rejected").length;
  if (failed) throw new Error(`${mode}: ${failed} of ${n} publishes failed`);
  return {
    usPerPublish: (sampleProc(Deno.pid)!.cpuSecs - cpu0) / n * 1e6,
    perSec: n / ((performance.now() - t0) / 1000),
  };
}

export const suite: BenchSuite = {
  name: "sim_publish",
  async run(ctx) {
    const n = ctx.quick ? 5_000 : 50_000;
    const runs = ctx.quick ? 1 : 3;
    const broker = await startNatsServer();
    const nats = await connectNats({ natsServers: [broker.url] }, "bench-sim-publish");
    const acks = new AckedPublisher(nats.nc, 5000);
    const modes: Mode[] = ["nats.js js.publish", "simulator AckedPublisher"];
    const cpu = new Map<Mode, number[]>(modes.map((m) => [m, []]));
    const rate = new Map<Mode, number[]>(modes.map((m) => [m, []]));
    try {
      await nats.jsm.streams.add({ name: "BENCHPUB", subjects: ["benchpub.>"], max_msgs: n });
      await pass(nats, acks, modes[0], 1000); // warm both paths
      await pass(nats, acks, modes[1], 1000);
      for (let r = 0; r < runs; r++) {
        for (const m of modes) {
          const p = await pass(nats, acks, m, n);
          cpu.get(m)!.push(p.usPerPublish);
          rate.get(m)!.push(p.perSec);
          ctx.log(
            `run ${r + 1} ${m}: ${p.usPerPublish.toFixed(1)} µs CPU/publish, ${
              p.perSec.toFixed(0)
            }/s`,
          );
        }
      }
    } finally {
      acks.close();
      await nats.nc.close();
      await broker.stop();
    }
    const ratio = median(cpu.get(modes[0])!) / median(cpu.get(modes[1])!);
    const load = loadAvg();
    return modes.flatMap((m): BenchRow[] => [
      {
        name: `simulator JetStream publish, ${m}: client CPU per publish`,
        median: Number(median(cpu.get(m)!).toFixed(1)),
        unit: "µs",
        samples: cpu.get(m)!.map((v) => Number(v.toFixed(1))),
        note: `${n} publishes of ${BODY.length} B, 1000 in flight; load ${load}` +
          (m === modes[1] ? `; ${ratio.toFixed(1)}× less than nats.js` : ""),
      },
      {
        name: `simulator JetStream publish, ${m}: acked publishes per second`,
        median: Math.round(median(rate.get(m)!)),
        unit: "/s",
        samples: rate.get(m)!.map(Math.round),
      },
    ]);
  },
};
