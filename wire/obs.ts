/**
 * `ObsEvent` on `obs.<pc_id>` (protocol.md §4.8): one observability event from an agent
 * (emit-jobs' stdout lines, agent milestones). De-duplicated by
 * `(pc_id, source, event_record_id)` in the projection.
 */
import { z } from "zod";
import { encodeOrdered, type FieldSpec } from "./codec.ts";
import { isRfc3339, wireTs } from "./time.ts";

const rfc3339 = z.string().refine(isRfc3339, "must be an RFC 3339 timestamp");

export const ObsEventSchema = z.object({
  pc_id: z.string(),
  at: rfc3339,
  kind: z.string(),
  source: z.string(),
  event_record_id: z.string().nullish().transform((v) => v ?? null),
  // Any JSON; a missing key is `null` (serde default).
  payload: z.unknown().optional().transform((v) => v === undefined ? null : v),
});
export type ObsEvent = z.infer<typeof ObsEventSchema>;

export const OBS_EVENT_FIELDS: readonly FieldSpec[] = [
  ["pc_id", "req"],
  ["at", "req", (v) => wireTs(v as string)],
  ["kind", "req"],
  ["source", "req"],
  ["event_record_id", "nul"],
  ["payload", "nul"],
];

export const encodeObsEvent = (e: ObsEvent) =>
  encodeOrdered(OBS_EVENT_FIELDS, e as unknown as Record<string, unknown>);
