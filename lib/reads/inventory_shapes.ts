/**
 * The response shapes of the inventory read routes (backend.md §3.7), as zod schemas for the
 * route definitions and the OpenAPI document (beside `inventory.ts`, already at its size
 * limit). `satisfies` ties each to the type its read
 * function returns, so a changed row fails the type check, not only the contract test.
 * JSON the agent reported (facts, display and summary hints, explode specs) is passed through
 * as stored: its shape is the job's, not the API's.
 */
import { z } from "zod";
import { WireTimestampSchema } from "../../wire/time.ts";
import { CHANGE_KINDS } from "./inventory_query.ts";
import type { HistoryRow, InventoryJob, SearchRow } from "./inventory.ts";

const Ts = WireTimestampSchema;
const asStored = (what: string) => z.unknown().meta({ description: `${what}, as stored` });

export const InventoryJobSchema = z.strictObject({
  manifest_id: z.string(),
  description: z.string().nullable(),
  display: asStored("the manifest's inventory.display"),
  summary: asStored("the manifest's inventory.summary"),
  explode: asStored("the manifest's inventory.explode"),
  history_scalars: z.array(z.string()),
  pc_count: z.number().int().meta({ description: "PCs with facts for this job" }),
}) satisfies z.ZodType<InventoryJob>;

export const PcInventorySchema = z.array(z.strictObject({
  job_id: z.string(),
  facts: asStored("the last collected facts"),
  display: asStored("the display hints"),
  summary: asStored("the summary hints"),
  collected_at: Ts.nullable(),
  recorded_at: Ts.nullable(),
}));

export const JobInventorySchema = z.strictObject({
  manifest_id: z.string(),
  display: asStored("the display hints"),
  summary: asStored("the summary hints"),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  rows: z.array(z.strictObject({
    pc_id: z.string(),
    facts: asStored("the last collected facts"),
    collected_at: Ts.nullable(),
  })),
});

/** One explode-table row: pc_id, collected_at, then every column of the job's spec. */
export const ExplodeRowSchema = z.object({
  pc_id: z.string(),
  collected_at: Ts.nullable(),
}).catchall(
  z.union([z.string(), z.number(), z.null()]).meta({
    description: "a spec column (text, integer or real)",
  }),
) satisfies z.ZodType<SearchRow>;

export const HistoryRowSchema = z.strictObject({
  id: z.number().int(),
  pc_id: z.string(),
  job_id: z.string(),
  field_path: z.string(),
  identity_json: z.string().nullable().meta({ description: "the row's key columns as JSON text" }),
  change_kind: z.enum(CHANGE_KINDS),
  before_json: z.string().nullable(),
  after_json: z.string().nullable(),
  observed_at: Ts.nullable(),
}) satisfies z.ZodType<HistoryRow>;

export const FirstSeenSchema = z.array(z.strictObject({
  pc_id: z.string(),
  first_seen_at: Ts.nullable(),
}));
