/**
 * What the projectors' explicit acks cost, against the one ack per batch that JetStream's
 * `AckPolicy.All` would allow: a private broker holds a fleet-wide burst of result-sized
 * messages; each round drains them through a fresh durable with the projectors' own pull
 * (js_pull.ts), in batches of 1,000, once acking every message and once acking only each
 * batch's last. Broker and reader CPU per round.
 *
 * The projectors keep explicit acks (docs/scale.md, "One ack per batch, measured and not
 * kept"): under ack-all an ack covers every lower sequence the durable has handed out, to
 * any reader, and in the cluster topology two backends read one durable.
 *
 *   deno task bench -- --only ack_policy [--messages 100000] [--runs 5]
 */
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { BenchRow, BenchSuite } from "./types.ts";
import { argValue, loadAvg, median } from "./types.ts";
import { startNatsServer } from "../tests/helpers/nats_server.ts";
import { connectNats } from "../lib/nats.ts";
import { JsPull, type StreamMsg } from "../projectors/js_pull.ts";
import { sampleProc } from "../simulator/self_report.ts";
import { logger } from "../lib/log.ts";
import { encodeExecResult } from "../wire/messages.ts";
import { jsonBytes } from "../wire/codec.ts";
import { jobResult } from "../tests/helpers/results.ts";

const BATCH = 1_000;

export const suite: BenchSuite = {
  name: "ack_policy",
  async run(ctx) {
    const total = Number(argValue(ctx.args, "--messages") ?? (ctx.quick ? 10_000 : 100_000));
    const runs = Number(argValue(ctx.args, "--runs") ?? (ctx.quick ? 1 : 5));
    if (!(Number.isInteger(total) && total >= BATCH && Number.isInteger(runs) && runs >= 1)) {
      throw new Error(`ack_policy: --messages takes a whole number from ${BATCH}, --runs from 1`);
    }
    const broker = await startNatsServer();
    const nats = await connectNats({ natsServers: [broker.url] }, "bench-ack-policy");
    const cpu = { explicit: [] as number[], all: [] as number[] };
    const reader = { explicit: [] as number[], all: [] as number[] };
    try {
      const jsm = await jetstreamManager(nats.nc);
      const js = jetstream(nats.nc);
      await jsm.streams.add({ name: "ACKB", subjects: ["ackb.>"] });
      // A result of the 100k bench's size: the wire JSON with ~1 KB of output.
      const body = jsonBytes(encodeExecResult(jobResult("S-000001", "scale-echo", {
        exec_id: crypto.randomUUID(),
        stdout: "Status   Name               DisplayName\n".repeat(25),
      })));
      for (let i = 0; i < total; i += BATCH) {
        const acks = [];
        for (let j = 0; j < BATCH && i + j < total; j++) {
          acks.push(js.publish(`ackb.${(i + j) % 97}`, body));
        }
        await Promise.all(acks);
      }
      const brokerPid = broker.pid()!;
      let round = 0;
      const drain = async (policy: "explicit" | "all", record = true) => {
        const durable = `d${round++}`;
        await jsm.consumers.add("ACKB", {
          durable_name: durable,
          ack_policy: policy === "all" ? AckPolicy.All : AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          max_ack_pending: 20_000,
        });
        const b0 = sampleProc(brokerPid)!.cpuSecs;
        const r0 = sampleProc()!.cpuSecs;
        const pull = new JsPull(nats.nc, {
          stream: "ACKB",
          durable,
          maxMessages: BATCH * 2,
          log: logger({ bench: "ack_policy" }),
        });
        let batch: StreamMsg[] = [];
        let got = 0;
        for await (const m of pull) {
          batch.push(m);
          got++;
          if (batch.length === BATCH || got === total) {
            if (policy === "all") batch[batch.length - 1].ack();
            else for (const x of batch) x.ack();
            batch = [];
            if (got === total) break;
          }
        }
        pull.stop();
        // Done once the broker has taken every ack in.
        for (;;) {
          const info = await jsm.consumers.info("ACKB", durable);
          if (info.num_ack_pending === 0 && info.num_pending === 0) break;
          await new Promise((r) => setTimeout(r, 10));
        }
        if (record) {
          cpu[policy].push(sampleProc(brokerPid)!.cpuSecs - b0);
          reader[policy].push(sampleProc()!.cpuSecs - r0);
        }
        await jsm.consumers.delete("ACKB", durable);
      };
      await drain("explicit", false); // warm-up
      for (let r = 0; r < runs; r++) {
        // Alternated, so a box that drifts weighs on both alike.
        for (const policy of ["explicit", "all"] as const) {
          await drain(policy);
          ctx.log(
            `run ${r + 1} ${policy}: broker ${cpu[policy].at(-1)!.toFixed(2)} core-s, ` +
              `reader ${reader[policy].at(-1)!.toFixed(2)} core-s`,
          );
        }
      }
    } finally {
      await nats.close();
      await broker.stop();
    }
    const note = `${total} messages of ~1.2 KB, batches of ${BATCH}; load ${loadAvg()}`;
    const row = (name: string, xs: number[], extra = ""): BenchRow => ({
      name,
      median: median(xs),
      unit: "core-s",
      samples: xs,
      note: note + extra,
    });
    const ratio = (a: number[], b: number[]) => `; ${(median(a) / median(b)).toFixed(2)}× explicit`;
    return [
      row("broker CPU to drain, explicit ack per message", cpu.explicit),
      row("broker CPU to drain, one ack-all per batch", cpu.all, ratio(cpu.all, cpu.explicit)),
      row("reader CPU to drain, explicit ack per message", reader.explicit),
      row(
        "reader CPU to drain, one ack-all per batch",
        reader.all,
        ratio(reader.all, reader.explicit),
      ),
    ];
  },
};
