/**
 * `Manifest` (KV `jobs`, key = id; protocol.md §6.1). Two schemas from one builder:
 * - `ManifestSchema`: the tolerant reader (unknown keys ignored, lesson #492), for every
 *   value read back from KV;
 * - `ManifestInputSchema`: the strict create boundary (`POST /api/jobs`): unknown keys are
 *   refused with their full path, enums are closed.
 * Beside it: `manifest_validate.ts` adds the semantic rules of §6.1.4 with upstream's
 * messages, and `manifest_encode.ts` writes the stored JSON in upstream's field order
 * (§6.1.5).
 */
import { z } from "zod";
import { formatIssues } from "./zod_issues.ts";
import { validateManifest } from "./manifest_validate.ts";

// ---------------------------------------------------------------- types

export interface DisplayField {
  field: string;
  label: string;
  type?: string | null;
  columns?: DisplayField[] | null;
}

function build(strict: boolean) {
  const obj = strict ? z.strictObject : z.object;
  const opt = <T extends z.ZodType>(s: T) => s.nullish();

  const DisplayField: z.ZodType<DisplayField> = obj({
    field: z.string(),
    label: z.string(),
    type: opt(z.string()),
    get columns() {
      return opt(z.array(DisplayField));
    },
    // Recursive: JSON Schema renders it once under this name and refers to it.
  }).meta({ id: strict ? "DisplayField" : "StoredDisplayField" }) as unknown as z.ZodType<
    DisplayField
  >;

  const ExplodeColumn = obj({
    field: z.string(),
    type: opt(strict ? z.enum(["text", "integer", "real"]) : z.string()),
    index: z.boolean().default(false),
  });

  const ExplodeSpec = obj({
    field: z.string(),
    table: z.string(),
    primary_key: z.array(z.string()),
    columns: z.array(ExplodeColumn),
    track_history: z.boolean().default(false),
  });

  const InventoryHint = obj({
    display: z.array(DisplayField),
    summary: opt(z.array(DisplayField)),
    explode: opt(z.array(ExplodeSpec)),
    history_scalars: opt(z.array(z.string())),
  });

  const Execute = obj({
    shell: strict ? z.enum(["powershell", "cmd"]) : z.string().min(1),
    script: opt(z.string()),
    script_file: opt(z.string()),
    script_object: opt(z.string()),
    timeout: z.string(),
    run_as: strict
      ? z.enum(["system", "user", "system_gui"]).default("system")
      : z.string().default("system"),
    cwd: opt(z.string()),
  });

  const Staleness = z.discriminatedUnion("mode", [
    obj({ mode: z.literal("cached") }),
    obj({ mode: z.literal("strict"), max_cache_age: z.string() }),
    obj({ mode: z.literal("unchecked") }),
  ]);

  const EmitConfig = obj({
    type: z.literal("events"),
    watermark_path: opt(z.string()),
  });

  const CheckHint = obj({
    name: z.string(),
    label: opt(z.string()),
    status_field: z.string().default("status"),
    detail_field: z.string().default("detail"),
    troubleshoot: opt(z.string()),
    fleet: z.boolean().default(true),
  });

  const CollectHint = obj({
    name: z.string(),
    description: opt(z.string()),
    max_size: opt(z.string()),
    files_field: z.string().default("files"),
  });

  const ClientHint = obj({
    name: z.string(),
    description: opt(z.string()),
    category: strict ? z.string() : opt(z.string()),
    icon: opt(z.string()),
  });

  const Manifest = obj({
    id: z.string(),
    version: z.string(),
    description: opt(z.string()),
    execute: Execute,
    require_approval: z.boolean().default(false),
    inventory: opt(InventoryHint),
    emit: opt(EmitConfig),
    check: opt(CheckHint),
    collect: opt(CollectHint),
    staleness: Staleness.default({ mode: "cached" }),
    client: opt(ClientHint),
    tags: opt(z.array(z.string())),
  });
  return { Manifest, Execute, InventoryHint, ExplodeSpec, ExplodeColumn, DisplayField, ClientHint };
}

const reader = build(false);
const strict = build(true);

/** Tolerant reader for stored manifests. */
export const ManifestSchema = reader.Manifest;
export const ExecuteSchema = reader.Execute;
export const InventoryHintSchema = reader.InventoryHint;
export const ExplodeSpecSchema = reader.ExplodeSpec;
export const ExplodeColumnSchema = reader.ExplodeColumn;
export const DisplayFieldSchema = reader.DisplayField;
export const ClientHintSchema = reader.ClientHint;
/** Strict create-boundary schema (`POST /api/jobs`). */
export const ManifestInputSchema = strict.Manifest;

export type Manifest = z.infer<typeof ManifestSchema>;
export type Execute = z.infer<typeof ExecuteSchema>;
export type InventoryHint = z.infer<typeof InventoryHintSchema>;
export type ExplodeSpec = z.infer<typeof ExplodeSpecSchema>;
export type ExplodeColumn = z.infer<typeof ExplodeColumnSchema>;
export type ClientHint = z.infer<typeof ClientHintSchema>;

// ---------------------------------------------------------------- strict parse

/** Keys that moved to the schedule / exec request in v0.18 (before #492 a parse error). */
export const RETIRED_MANIFEST_KEYS = ["target", "rollout", "jitter"] as const;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Create-boundary parse: strict keys, retired keys named, then `validateManifest`.
 * Returns the normalised manifest or the first error message (400 material).
 */
export function parseManifestInput(value: unknown): ParseResult<Manifest> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, error: "manifest must be a mapping (JSON object / YAML map)" };
  }
  const retired = RETIRED_MANIFEST_KEYS.filter((k) => k in (value as object));
  if (retired.length) {
    return {
      ok: false,
      error: `manifest must not contain ${
        retired.map((k) => `\`${k}\``).join(", ")
      } (since v0.18 these belong to the schedule or the exec request)`,
    };
  }
  const r = ManifestInputSchema.safeParse(value);
  if (!r.success) return { ok: false, error: formatIssues(r.error) };
  const m = r.data as Manifest;
  const err = validateManifest(m);
  if (err) return { ok: false, error: err };
  return { ok: true, value: m };
}

/** Decode a stored value tolerantly; null when it is not a manifest at all. */
export function decodeManifest(value: unknown): Manifest | null {
  const r = ManifestSchema.safeParse(value);
  return r.success ? r.data : null;
}

/** JSON Schema of the create-boundary manifest (feeds the SPA's YAML editor). */
export function manifestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ManifestInputSchema, {
    target: "draft-2020-12",
    io: "input",
    unrepresentable: "any",
  }) as Record<string, unknown>;
}
