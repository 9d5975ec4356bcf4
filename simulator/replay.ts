/**
 * Agents coming back: missed-command replay from stream EXEC (protocol.md §3.4). The real
 * agent's durable consumer delivers the last message of each subject addressed to it
 * (`commands.all`, `commands.pc.<id>`, its group subjects) above its ack floor; the simulator
 * asks the stream for exactly those messages (`last_by_subj` gets, shared by the agents that
 * come back together), so a replay costs a few requests per agent whatever the size of EXEC.
 * nats-server 2.9 has no multi-filter consumers, and 100,000 durables would measure the
 * broker's consumer bookkeeping rather than the backend.
 *
 * The same batches then go to the behaviours' catch-up (behaviours.ts `online`, e.g. the
 * notifications still valid); a fresh fleet's agents get only that part at start, unless
 * `replayOnStart` asks for missed commands too.
 */
import type { StoredMsg } from "@nats-io/jetstream";
import { STREAM, SUBJECT, subjects } from "../wire/names.ts";
import type { Agent } from "./agent.ts";
import { behavioursOnline } from "./behaviours.ts";
import type { CommandCache } from "./command_cache.ts";
import type { Link } from "./link.ts";

/** Agents replayed concurrently (each needs 2 + groups stream gets). */
const CONCURRENCY = 64;

export class Replayer {
  private queue = new Set<Agent>();
  /** Agents of the queue whose missed commands are replayed too. */
  private withCommands = new Set<Agent>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly link: () => Link,
    private readonly cache: CommandCache,
    private readonly stopped: () => boolean,
    private readonly log: (msg: string) => void,
  ) {}

  /** Agents that came online; `commands: false` skips the missed-command replay. */
  enqueue(agents: Iterable<Agent>, opts: { commands: boolean } = { commands: true }) {
    for (const a of agents) {
      this.queue.add(a);
      if (opts.commands) this.withCommands.add(a);
    }
    clearTimeout(this.timer);
    // Agents that come back together share one round of gets.
    this.timer = setTimeout(() => {
      const batch = [...this.queue].filter((a) => a.online);
      const commands = batch.filter((a) => this.withCommands.has(a));
      this.queue.clear();
      this.withCommands.clear();
      if (batch.length) {
        this.running = this.running.then(async () => {
          await this.replay(commands);
          await this.behaviours(batch);
        });
      }
    }, 20);
  }

  private async behaviours(batch: Agent[]) {
    if (this.stopped()) return;
    try {
      await behavioursOnline(batch, this.link().nats);
    } catch (e) {
      this.log(`behaviour catch-up failed: ${(e as Error).message}`);
    }
  }

  /** Wait for the replays in progress (fleet stop). */
  async stop() {
    clearTimeout(this.timer);
    await this.running.catch(() => {});
  }

  private async replay(batch: Agent[]) {
    if (this.stopped() || batch.length === 0) return;
    const nats = this.link().nats;
    try {
      const info = await nats.jsm.streams.info(STREAM.exec).catch(() => null);
      if (!info || info.state.messages === 0) return;
      // Everything up to here is either fetched below or superseded on its subject; later
      // messages reach the agents live (they are subscribed again already).
      const floor = info.state.last_seq;
      const gets = new Map<string, Promise<StoredMsg | null>>();
      const last = (subject: string) => {
        let p = gets.get(subject);
        if (!p) {
          p = nats.jsm.streams.getMessage(STREAM.exec, { last_by_subj: subject }).catch(() => null);
          gets.set(subject, p);
        }
        return p;
      };
      for (let i = 0; i < batch.length && !this.stopped(); i += CONCURRENCY) {
        await Promise.all(
          batch.slice(i, i + CONCURRENCY).map(async (a) => {
            const subs = [
              SUBJECT.commandsAll,
              subjects.commandsPc(a.pcId),
              ...a.groups.map((g) => subjects.commandsGroup(g)),
            ];
            const msgs = (await Promise.all(subs.map(last)))
              .filter((m): m is StoredMsg => !!m && m.seq > a.ackSeq)
              .sort((x, y) => x.seq - y.seq);
            for (const m of msgs) {
              if (!a.online) break;
              const d = this.cache.decode(m.data);
              if ("error" in d) continue; // not a Command: dropped like the real agent does
              a.handle(d.cmd, d.lookups).catch((e) => a.log("ERROR", String(e)));
            }
            a.ackSeq = Math.max(a.ackSeq, floor);
          }),
        );
      }
    } catch (e) {
      this.log(`replay failed: ${(e as Error).message}`);
    }
  }
}
