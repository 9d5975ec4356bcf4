/**
 * Agents coming back: missed-command replay from stream EXEC (protocol.md §3.4). Agents that
 * come back together share one ordered consumer (`last_per_subject` on `commands.>`);
 * non-addressed messages are dropped client-side, as agents before #483 did (nats-server 2.9
 * has no multi-filter), and each agent only takes messages above its own ack floor.
 */
import { DeliverPolicy, jetstreamManager } from "@nats-io/jetstream";
import { type Command, CommandSchema } from "../wire/messages.ts";
import { STREAM, SUBJECT } from "../wire/names.ts";
import type { Agent } from "./agent.ts";
import type { Link } from "./link.ts";
import { lookupsFor } from "./lookups.ts";
import { td } from "./util.ts";

export class Replayer {
  private queue = new Set<Agent>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly link: () => Link,
    private readonly stopped: () => boolean,
    private readonly log: (msg: string) => void,
  ) {}

  enqueue(agents: Iterable<Agent>) {
    for (const a of agents) this.queue.add(a);
    clearTimeout(this.timer);
    // Agents that come back together share one replay consumer.
    this.timer = setTimeout(() => {
      const batch = [...this.queue].filter((a) => a.online);
      this.queue.clear();
      if (batch.length) this.running = this.running.then(() => this.replay(batch));
    }, 20);
  }

  /** Wait for the replays in progress (fleet stop). */
  async stop() {
    clearTimeout(this.timer);
    await this.running.catch(() => {});
  }

  /** Last message per subject of EXEC, only the addressed ones, newer than the ack floor. */
  private async replay(batch: Agent[]) {
    if (this.stopped()) return;
    const link = this.link();
    try {
      const jsm = await jetstreamManager(link.nc, { timeout: 5000 });
      const info = await jsm.streams.info(STREAM.exec).catch(() => null);
      if (!info || info.state.messages === 0) return;
      const consumer = await link.js.consumers.get(STREAM.exec, {
        filter_subjects: SUBJECT.commandsFilter,
        deliver_policy: DeliverPolicy.LastPerSubject,
      });
      const msgs = await consumer.consume({ max_messages: 1000 });
      const byPc = new Map(batch.map((a) => [a.pcId, a]));
      const guard = setTimeout(() => msgs.stop(), 15_000);
      let maxSeq = 0;
      try {
        for await (const m of msgs) {
          maxSeq = Math.max(maxSeq, m.seq);
          // Addressing first (cheap): most of EXEC is other PCs' subjects.
          const candidates = m.subject.startsWith(SUBJECT.commandsPcPrefix)
            ? [byPc.get(m.subject.slice(SUBJECT.commandsPcPrefix.length))].filter((a) => !!a)
            : batch;
          const targets = candidates.filter((a) =>
            a.online && m.seq > a.ackSeq && a.addressedBy(m.subject)
          );
          let cmd: Command | null = null;
          if (targets.length) {
            try {
              cmd = CommandSchema.parse(JSON.parse(td.decode(m.data)));
            } catch { /* not a Command: dropped like the real agent does */ }
          }
          if (cmd) {
            const shared = lookupsFor(link, cmd);
            for (const a of targets) a.handle(cmd, shared).catch((e) => a.log("ERROR", String(e)));
          }
          if (m.info.pending === 0) break;
        }
      } finally {
        clearTimeout(guard);
        msgs.stop();
      }
      for (const a of batch) a.ackSeq = Math.max(a.ackSeq, maxSeq);
    } catch (e) {
      this.log(`replay failed: ${(e as Error).message}`);
    }
  }
}
