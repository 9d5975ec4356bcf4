/**
 * The JetStream publish acknowledgement (`{"stream","seq"}` or `{"error":{…}}`) a stream
 * sends to the reply subject of a message it captured. Pure: the exec pipeline reads it to
 * know a Command is stored in EXEC.
 */
import { z } from "zod";
import { parseJsonBytes } from "./codec.ts";

export const PubAckSchema = z.object({
  stream: z.string().optional(),
  seq: z.number().int().optional(),
  duplicate: z.boolean().optional(),
  error: z.object({
    code: z.number().int().optional(),
    err_code: z.number().int().optional(),
    description: z.string().optional(),
  }).optional(),
});
export type PubAck = z.infer<typeof PubAckSchema>;

/** The stream and sequence that stored the message, or why it did not. */
export type PubAckOutcome =
  | { ok: true; stream: string; seq: number }
  | { ok: false; reason: string };

export function decodePubAck(bytes: Uint8Array): PubAckOutcome {
  let raw: unknown;
  try {
    raw = parseJsonBytes(bytes);
  } catch {
    return { ok: false, reason: `not a JetStream ack (${bytes.length} bytes, not JSON)` };
  }
  const p = PubAckSchema.safeParse(raw);
  if (!p.success) return { ok: false, reason: "not a JetStream ack" };
  const a = p.data;
  if (a.error) {
    const code = a.error.err_code ?? a.error.code;
    return {
      ok: false,
      reason: `${a.error.description ?? "stream error"}${code === undefined ? "" : ` (${code})`}`,
    };
  }
  if (!a.stream || a.seq === undefined) return { ok: false, reason: "not a JetStream ack" };
  return { ok: true, stream: a.stream, seq: a.seq };
}
