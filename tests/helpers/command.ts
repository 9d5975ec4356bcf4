/** A Command as the backend publishes it, for tests that play the backend on NATS. */
import type { NatsConnection } from "@nats-io/transport-node";
import { type Command, encodeCommand } from "../../wire/messages.ts";

/** Publish a Command (defaults: job1 1.0.0, powershell `echo hi`, fresh ids) on `subject`. */
export function publishCommand(
  nc: NatsConnection,
  subject: string,
  partial: Partial<Command> = {},
): Command {
  const cmd = {
    id: "job1",
    version: "1.0.0",
    request_id: crypto.randomUUID(),
    exec_id: crypto.randomUUID(),
    shell: "powershell",
    script: "echo hi",
    timeout_secs: 30,
    jitter_secs: null,
    run_as: "system",
    staleness: { mode: "cached" },
    ...partial,
  } as Command;
  // The EXEC stream captures the core publish, as it does the backend's.
  nc.publish(subject, JSON.stringify(encodeCommand(cmd)));
  return cmd;
}
