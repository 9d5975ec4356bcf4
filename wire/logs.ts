/**
 * `LogsRequest` — `logs.fetch.<pc_id>` request/reply (protocol.md §4.6). Request
 * `{"tail_lines": u32}`; every field defaults (500) so `{}` or garbage means 500 lines on the
 * agent. The reply is raw UTF-8 text, not JSON.
 */
import { z } from "zod";

export const DEFAULT_TAIL_LINES = 500;
export const MAX_TAIL_LINES = 0xffff_ffff;

/** Reader (agent side, test doubles): tolerant, defaults on anything malformed. */
export const LogsRequestSchema = z.object({
  tail_lines: z.number().int().min(0).max(MAX_TAIL_LINES).catch(DEFAULT_TAIL_LINES).default(
    DEFAULT_TAIL_LINES,
  ),
}).catch({ tail_lines: DEFAULT_TAIL_LINES });
export type LogsRequest = z.infer<typeof LogsRequestSchema>;

export function encodeLogsRequest(r: LogsRequest): string {
  return JSON.stringify({ tail_lines: r.tail_lines });
}

/** Decode request bytes the way the agent does: malformed input means the default. */
export function decodeLogsRequest(bytes: Uint8Array): LogsRequest {
  let v: unknown = {};
  try {
    v = JSON.parse(new TextDecoder().decode(bytes));
  } catch { /* default */ }
  return LogsRequestSchema.parse(v);
}
