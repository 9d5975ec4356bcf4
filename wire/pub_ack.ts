/**
 * The broker's answer to a JetStream publish (a PUB with a reply subject on a subject a
 * stream captures): a PubAck `{"stream","seq","duplicate"?}`, an `{"error":{…}}` document, or
 * a 503 status when nothing subscribes to the subject at all. Pure; read by the exec
 * pipeline (a Command stored in EXEC) and by the simulator's agents (their results).
 *
 * Checked by hand, not with a zod schema: the shape is the broker's, not one this project
 * defines, and the simulator reads ~200,000 of these per exec to a 100,000-agent fleet.
 */
import { utf8 } from "./codec.ts";

export interface PubAck {
  stream: string;
  seq: number;
  duplicate: boolean;
}

export type PubAckOutcome =
  | { ok: true; ack: PubAck }
  | { ok: false; reason: string; noResponders: boolean };

const refused = (reason: string, noResponders = false): PubAckOutcome => ({
  ok: false,
  reason,
  noResponders,
});

/** `status` is the reply's status header (`msg.headers?.code`), null when it has none. */
export function readPubAck(status: number | null, data: Uint8Array): PubAckOutcome {
  if (status === 503) return refused("no responders: no stream takes this subject", true);
  if (status !== null && status >= 400) return refused(`publish refused: status ${status}`);
  let doc: unknown;
  try {
    doc = JSON.parse(utf8(data));
  } catch {
    return refused("publish ack is not JSON");
  }
  const d = doc as { stream?: unknown; seq?: unknown; duplicate?: unknown; error?: unknown };
  if (d && typeof d === "object" && d.error) {
    const e = d.error as { code?: unknown; err_code?: unknown; description?: unknown };
    return refused(
      `publish refused: ${e.description ?? "error"} (${e.err_code ?? e.code ?? "?"})`,
    );
  }
  if (typeof d?.stream !== "string" || typeof d.seq !== "number") {
    return refused("publish ack without stream and seq");
  }
  return { ok: true, ack: { stream: d.stream, seq: d.seq, duplicate: d.duplicate === true } };
}
