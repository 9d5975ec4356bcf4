/**
 * The agent's on-disk outbox: entries go out in order, each retried every second until
 * JetStream acks it, and only while the agent is online (an offline agent keeps them).
 */
import type { Agent } from "./agent.ts";
import { sleep } from "./util.ts";

export class Outbox {
  private tail: Promise<void> = Promise.resolve();
  /** Entries enqueued and not yet acked (or given up at stop). */
  private open = 0;

  constructor(private readonly agent: Agent) {}

  enqueue(subject: string, body: () => string | Promise<string>, onAck?: () => void) {
    // Queued behind this agent's own previous entry: the gate serves it first.
    const followUp = this.open++ > 0;
    this.tail = this.tail.then(() => this.send(subject, body, onAck, followUp));
  }

  private async send(
    subject: string,
    body: () => string | Promise<string>,
    onAck: (() => void) | undefined,
    followUp: boolean,
  ): Promise<void> {
    const a = this.agent;
    try {
      let payload: string | null = null;
      while (!a.fleet.stopped) {
        if (!a.online) {
          await sleep(200);
          continue;
        }
        try {
          payload ??= await body();
          const bytes = payload;
          // The ack timeout starts once the gate lets the publish out (publish_gate.ts).
          await a.fleet.publishGate.run(() => a.link.acks.publish(subject, bytes), followUp);
          onAck?.();
          return;
        } catch (e) {
          a.fleet.counters.publishRetries++;
          a.log("WARN", `outbox publish ${subject} failed: ${(e as Error).message}`);
          await sleep(1000);
        }
      }
    } finally {
      this.open--;
    }
  }
}
