/** Publishing finished ExecResults to the RESULTS stream, as an agent would. */
import type { JetStreamClient } from "@nats-io/jetstream";
import { encodeExecResult, type ExecResult } from "../../wire/messages.ts";
import { subjects } from "../../wire/names.ts";
import { jsonBytes } from "../../wire/codec.ts";
import { nowWire } from "../../wire/time.ts";
import { type TestBackend, waitFor } from "./backend.ts";

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

/** A finished result of job `jobId` on `pc` (fresh ids, finished now unless `over` says). */
export function jobResult(pc: string, jobId: string, over: Partial<ExecResult> = {}): ExecResult {
  const at = nowWire();
  return {
    result_id: crypto.randomUUID(),
    request_id: crypto.randomUUID(),
    exec_id: null,
    pc_id: pc,
    exit_code: 0,
    stdout: "",
    stderr: "",
    started_at: at,
    finished_at: at,
    manifest_id: jobId,
    ...over,
  } as ExecResult;
}

export async function publishResults(b: TestBackend, ...rs: ExecResult[]): Promise<void> {
  for (const r of rs) {
    await b.deps.nats.js.publish(subjects.results(r.request_id), jsonBytes(encodeExecResult(r)));
  }
}

/** Publish, then wait until the LAST result's row exists (the stream is applied in order). */
export async function publishAndSettle(b: TestBackend, ...rs: ExecResult[]): Promise<void> {
  await publishResults(b, ...rs);
  const last = rs[rs.length - 1].result_id;
  await waitFor(
    async () => {
      const rs = await b.deps.db.execute({
        sql: "SELECT COUNT(*) FROM execution_results WHERE result_id = ?",
        args: [last],
      });
      return Number(rs.rows[0][0]) === 1;
    },
    { timeoutMs: 30_000, what: `result ${last}` },
  );
}
