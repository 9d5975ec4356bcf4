import assert from "node:assert/strict";
import type { Agent } from "./agent.ts";
import { Outbox } from "./outbox.ts";
import { PublishGate } from "./publish_gate.ts";

/** Agents of one process sharing one gate; publishes are acked a tick later. */
function agents(limit: number, names: string[]) {
  const published: string[] = [];
  const fleet = {
    stopped: false,
    publishGate: new PublishGate(limit),
    counters: { publishRetries: 0 },
  };
  const make = (name: string) =>
    ({
      pcId: name,
      online: true,
      fleet,
      log: () => {},
      link: {
        acks: {
          publish: async (subject: string) => {
            published.push(subject);
            await new Promise((r) => setTimeout(r, 1));
          },
        },
      },
    }) as unknown as Agent;
  return { published, outboxes: names.map((n) => new Outbox(make(n))) };
}

Deno.test("Outbox: an agent's result follows its own start, not every other agent's start", async () => {
  const { published, outboxes } = agents(1, ["A", "B", "C", "D"]);
  const acked: Promise<void>[] = [];
  const enqueue = (o: Outbox, subject: string) =>
    acked.push(new Promise((resolve) => o.enqueue(subject, () => subject, resolve)));
  // Every agent starts a run; then each run ends (its result queues behind its start).
  for (const [i, o] of outboxes.entries()) enqueue(o, `started.${"ABCD"[i]}`);
  for (const [i, o] of outboxes.entries()) enqueue(o, `result.${"ABCD"[i]}`);
  await Promise.all(acked);
  assert.equal(published.length, 8);
  for (const x of "ABCD") {
    assert.ok(published.indexOf(`result.${x}`) > published.indexOf(`started.${x}`), "order kept");
  }
  // With one FIFO the first result would only leave after the fourth start.
  assert.ok(
    published.indexOf("result.A") < published.indexOf("started.D"),
    `results interleave with starts: ${published.join(" ")}`,
  );
});
