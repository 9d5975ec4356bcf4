/**
 * Live tail of a running job (protocol.md §4.7): request `{result_id}` on
 * `job.tail.<pc_id>`, the agent answers with its ring-buffer snapshot. Every field
 * defaults, so a partial or malformed reply still decodes (as "not found").
 */
import { z } from "zod";
import { encodeOrdered, type FieldSpec } from "./codec.ts";

export const JobTailRequestSchema = z.object({
  result_id: z.string().default(""),
});
export type JobTailRequest = z.infer<typeof JobTailRequestSchema>;
export const JOB_TAIL_REQUEST_FIELDS: readonly FieldSpec[] = [["result_id", "req"]];
export const encodeJobTailRequest = (r: JobTailRequest) =>
  encodeOrdered(JOB_TAIL_REQUEST_FIELDS, r as Record<string, unknown>);

export const JobTailReplySchema = z.object({
  found: z.boolean().default(false),
  running: z.boolean().default(false),
  stdout: z.string().default(""),
  stderr: z.string().default(""),
  stdout_truncated: z.boolean().default(false),
  stderr_truncated: z.boolean().default(false),
});
export type JobTailReply = z.infer<typeof JobTailReplySchema>;
export const JOB_TAIL_REPLY_FIELDS: readonly FieldSpec[] = [
  ["found", "req"],
  ["running", "req"],
  ["stdout", "req"],
  ["stderr", "req"],
  ["stdout_truncated", "req"],
  ["stderr_truncated", "req"],
];
export const encodeJobTailReply = (r: JobTailReply) =>
  encodeOrdered(JOB_TAIL_REPLY_FIELDS, r as Record<string, unknown>);

/** Decode a reply tolerantly: garbage becomes `found: false`. */
export function decodeJobTailReply(data: Uint8Array): JobTailReply {
  try {
    const parsed = JobTailReplySchema.safeParse(JSON.parse(new TextDecoder().decode(data)));
    if (parsed.success) return parsed.data;
  } catch { /* fall through */ }
  return JobTailReplySchema.parse({});
}
