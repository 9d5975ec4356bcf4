/** Publishing a finished ExecResult to the RESULTS stream, as an agent would. */
import type { JetStreamClient } from "@nats-io/jetstream";
import { encodeExecResult } from "../../wire/messages.ts";
import { subjects } from "../../wire/names.ts";
import { jsonBytes } from "../../wire/codec.ts";
import { nowWire } from "../../wire/time.ts";

/** A successful, empty result of `request_id` on `pc_id`; returns its result_id. */
export async function publishResult(
  js: JetStreamClient,
  pcId: string,
  requestId: string,
): Promise<string> {
  const id = crypto.randomUUID();
  await js.publish(
    subjects.results(requestId),
    jsonBytes(encodeExecResult({
      result_id: id,
      request_id: requestId,
      pc_id: pcId,
      exit_code: 0,
      stdout: "",
      stderr: "",
      started_at: nowWire(),
      finished_at: nowWire(),
    } as never)),
  );
  return id;
}
