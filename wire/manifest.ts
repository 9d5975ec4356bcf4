/**
 * `Manifest` (KV `jobs`, key = id; protocol.md §6.1). Two schemas from one builder:
 * - `ManifestSchema`: the tolerant reader (unknown keys ignored, lesson #492), for every
 *   value read back from KV;
 * - `ManifestInputSchema`: the strict create boundary (`POST /api/jobs`): unknown keys are
 *   refused with their full path, enums are closed.
 * `validateManifest()` adds the semantic rules of §6.1.4 with upstream's messages, and
 * `encodeManifest()` writes the stored JSON in upstream's field order (§6.1.5).
 */
import { z } from "zod";
import { encodeOrdered, type FieldSpec } from "./codec.ts";
import { durationError } from "./duration.ts";
import { formatIssues } from "./zod_issues.ts";
import { encodeCheck, encodeCollect, encodeEmit, encodeStaleness } from "./messages.ts";

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
  }) as unknown as z.ZodType<DisplayField>;

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

// ---------------------------------------------------------------- validate (§6.1.4)

const SIZE_RE = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/;
const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1_000,
  mb: 1_000_000,
  gb: 1_000_000_000,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** Human size (`50MB`, `4KiB`, `1000`) to bytes; throws with a message on error. */
export function parseHumanSize(s: string): number {
  const m = SIZE_RE.exec(s);
  if (!m) throw new Error(`invalid size '${s}': expected a byte count or a number with a unit`);
  const mult = SIZE_UNITS[m[2].toLowerCase()];
  if (mult === undefined) {
    throw new Error(`invalid size unit '${m[2]}': use B, KB, MB, GB, KiB, MiB or GiB`);
  }
  return Math.floor(Number(m[1]) * mult);
}

const blank = (s: string | null | undefined) => typeof s === "string" && s.trim() === "";
const present = (v: unknown) => v !== undefined && v !== null;

/** KV keys allow `[-/_=.A-Za-z0-9]`, no leading/trailing dot (a bad id would 500 on put). */
const MANIFEST_ID_RE = /^[-/_=A-Za-z0-9]([-/_=.A-Za-z0-9]*[-/_=A-Za-z0-9])?$/;

/** A job id usable as a KV key (path parameters are checked with this too). */
export function isValidJobId(id: string): boolean {
  return id.length <= 256 && MANIFEST_ID_RE.test(id) && !id.includes("..");
}

/** Upstream's `execute.validate_script_source()`: exactly one script source. */
export function validateScriptSource(e: Pick<Execute, "script" | "script_file" | "script_object">) {
  const script = typeof e.script === "string" && e.script !== "";
  const file = present(e.script_file);
  const object = present(e.script_object);
  const n = [script, file, object].filter(Boolean).length;
  if (n === 0) return "execute: one of `script`, `script_file`, `script_object` must be set";
  if (n > 1) {
    return `execute: only one of \`script\` / \`script_file\` / \`script_object\` may be set (got script=${script}, script_file=${file}, script_object=${object})`;
  }
  return null;
}

/** Every create-time rule; returns the first violated rule's message, or null. */
export function validateManifest(m: Manifest): string | null {
  if (!isValidJobId(m.id)) {
    return "id must be non-empty and use only letters, digits and - _ = / . (it is a KV key)";
  }
  if (m.version.trim() === "") return "version must not be empty";
  const src = validateScriptSource(m.execute);
  if (src) return src;
  const t = durationError(m.execute.timeout);
  if (t) return `invalid execute.timeout: ${t}`;
  if (m.staleness.mode === "strict") {
    const e = durationError(m.staleness.max_cache_age);
    if (e) return `invalid staleness.max_cache_age: ${e}`;
  }
  if (present(m.emit) && (present(m.inventory) || present(m.check))) {
    return "`emit:` is incompatible with `inventory:` / `check:` — emit's stdout is NDJSON timeline events (and omitted from the result), while inventory/check read a single JSON object from stdout";
  }
  if (present(m.collect) && (present(m.inventory) || present(m.check) || present(m.emit))) {
    return "`collect:` is incompatible with `inventory:` / `check:` / `emit:` — collect reads its own `files` JSON object from stdout. (It composes with `client:`.)";
  }
  if (m.check) {
    const c = m.check;
    if (c.name.trim() === "") return "check.name must not be empty";
    if (c.status_field.trim() === "") return "check.status_field must not be empty";
    if (c.detail_field.trim() === "") return "check.detail_field must not be empty";
    if (blank(c.troubleshoot)) return "check.troubleshoot must not be empty when set";
    if (blank(c.label)) return "check.label must not be empty when set";
  }
  if (m.client) {
    const c = m.client;
    if (c.name.trim() === "") return "client.name must not be empty";
    if (blank(c.description)) return "client.description must not be empty when set";
    if (blank(c.icon)) return "client.icon must not be empty when set";
  }
  if (m.collect) {
    const c = m.collect;
    if (c.name.trim() === "") return "collect.name must not be empty";
    if (c.files_field.trim() === "") return "collect.files_field must not be empty";
    if (blank(c.description)) return "collect.description must not be empty when set";
    if (present(c.max_size)) {
      try {
        parseHumanSize(c.max_size as string);
      } catch (e) {
        return `collect.max_size: ${(e as Error).message}`;
      }
    }
  }
  if (m.tags?.some((t) => t.trim() === "")) return "tags must not contain empty entries";
  return null;
}

// ---------------------------------------------------------------- encoder (§6.1.5)

const encodeDisplay = (v: unknown): unknown =>
  encodeOrdered([
    ["field", "req"],
    ["label", "req"],
    ["type", "omit"],
    ["columns", "omit", (c) => (c as unknown[]).map(encodeDisplay)],
  ], v as Record<string, unknown>);

const encodeExplodeColumn = (v: unknown) =>
  encodeOrdered([["field", "req"], ["type", "omit"], ["index", "req"]], {
    index: false,
    ...(v as object),
  });

const encodeExplode = (v: unknown) =>
  encodeOrdered([
    ["field", "req"],
    ["table", "req"],
    ["primary_key", "req"],
    ["columns", "req", (c) => (c as unknown[]).map(encodeExplodeColumn)],
    ["track_history", "req"],
  ], { track_history: false, ...(v as object) });

export const encodeInventory = (v: unknown) =>
  encodeOrdered([
    ["display", "req", (d) => (d as unknown[]).map(encodeDisplay)],
    ["summary", "omit", (d) => (d as unknown[]).map(encodeDisplay)],
    ["explode", "omit", (d) => (d as unknown[]).map(encodeExplode)],
    ["history_scalars", "omit"],
  ], v as Record<string, unknown>);

export const encodeExecute = (v: unknown) =>
  encodeOrdered([
    ["shell", "req"],
    ["script", "omit"],
    ["script_file", "omit"],
    ["script_object", "omit"],
    ["timeout", "req"],
    ["run_as", "req"],
    ["cwd", "omit"],
  ], { run_as: "system", ...(v as object) });

export const encodeClient = (v: unknown) =>
  encodeOrdered([
    ["name", "req"],
    ["description", "omit"],
    ["category", "omit"],
    ["icon", "omit"],
  ], v as Record<string, unknown>);

export const MANIFEST_FIELDS: readonly FieldSpec[] = [
  ["id", "req"],
  ["version", "req"],
  ["description", "nul"],
  ["execute", "req", encodeExecute],
  ["require_approval", "req"],
  ["inventory", "nul", encodeInventory],
  ["emit", "nul", encodeEmit],
  ["check", "nul", encodeCheck],
  ["collect", "omit", encodeCollect],
  ["staleness", "req", encodeStaleness],
  ["client", "omit", encodeClient],
  ["tags", "omitEmpty"],
];

export function encodeManifest(m: Manifest): Record<string, unknown> {
  return encodeOrdered(MANIFEST_FIELDS, {
    ...m,
    require_approval: m.require_approval ?? false,
    staleness: m.staleness ?? { mode: "cached" },
  } as Record<string, unknown>);
}

/** The exact stored bytes (`jobs[id]`). */
export function manifestJson(m: Manifest): string {
  return JSON.stringify(encodeManifest(m));
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
