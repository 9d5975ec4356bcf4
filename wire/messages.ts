/**
 * The run-time messages between backend and agents (protocol.md §4.1–§4.5, §4.14):
 * zod schemas for decoding (unknown keys ignored, missing optional = null) and ordered
 * encoders that reproduce upstream's bytes.
 */
import { z } from "zod";
import { encodeOrdered, type FieldSpec } from "./codec.ts";
import { wireTs } from "./time.ts";

const rfc3339 = z.string().refine((s) => {
  try {
    wireTs(s);
    return true;
  } catch {
    return false;
  }
}, "must be an RFC 3339 timestamp");

const ts = (v: unknown) => wireTs(v as string);

// ---------------------------------------------------------------- sub-types

export const ShellSchema = z.string().min(1); // readers tolerate later shells (sh, pwsh)
export const RunAsSchema = z.string().default("system");

export const StalenessSchema = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("cached") }),
  z.object({ mode: z.literal("strict"), max_cache_age: z.string() }),
  z.object({ mode: z.literal("unchecked") }),
]);
export type Staleness = z.infer<typeof StalenessSchema>;
export const encodeStaleness = (v: unknown) => {
  const s = v as Staleness;
  return s.mode === "strict"
    ? { mode: "strict", max_cache_age: s.max_cache_age }
    : { mode: s.mode };
};

export const EmitConfigSchema = z.object({
  type: z.literal("events"),
  watermark_path: z.string().nullish(),
});
export const encodeEmit = (v: unknown) =>
  encodeOrdered([["type", "req"], ["watermark_path", "omit"]], v as Record<string, unknown>);

export const CheckHintSchema = z.object({
  name: z.string(),
  label: z.string().nullish(),
  status_field: z.string().default("status"),
  detail_field: z.string().default("detail"),
  troubleshoot: z.string().nullish(),
  fleet: z.boolean().default(true),
});
export const encodeCheck = (v: unknown) =>
  encodeOrdered([
    ["name", "req"],
    ["label", "omit"],
    ["status_field", "req"],
    ["detail_field", "req"],
    ["troubleshoot", "omit"],
    ["fleet", "req"],
  ], { status_field: "status", detail_field: "detail", fleet: true, ...(v as object) });

export const CollectHintSchema = z.object({
  name: z.string(),
  description: z.string().nullish(),
  max_size: z.string().nullish(),
  files_field: z.string().default("files"),
});
export const encodeCollect = (v: unknown) =>
  encodeOrdered([
    ["name", "req"],
    ["description", "omit"],
    ["max_size", "omit"],
    ["files_field", "req"],
  ], { files_field: "files", ...(v as object) });

export const RetrySpecSchema = z.object({
  max: z.number().int().nonnegative(),
  backoff_secs: z.number().int().nonnegative(),
});

// ---------------------------------------------------------------- Command (§4.1)

export const CommandSchema = z.preprocess(
  (raw) => {
    // Before v0.29 the deployment id was spelled `job_id`.
    if (raw && typeof raw === "object" && !("exec_id" in raw) && "job_id" in raw) {
      return { ...(raw as object), exec_id: (raw as Record<string, unknown>).job_id };
    }
    return raw;
  },
  z.object({
    bypass_local_limit: z.boolean().optional(),
    id: z.string(),
    version: z.string(),
    request_id: z.string(),
    exec_id: z.string().nullish().transform((v) => v ?? null),
    shell: ShellSchema,
    script: z.string(),
    script_object: z.string().nullish(),
    script_object_sha256: z.string().nullish(),
    timeout_secs: z.number().int().nonnegative(),
    jitter_secs: z.number().int().nonnegative().nullish().transform((v) => v ?? null),
    run_as: RunAsSchema,
    cwd: z.string().nullish(),
    deadline_at: rfc3339.nullish(),
    staleness: StalenessSchema.default({ mode: "cached" }),
    emit: EmitConfigSchema.nullish(),
    check: CheckHintSchema.nullish(),
    collect: CollectHintSchema.nullish(),
    retry: RetrySpecSchema.nullish(),
  }),
);
export type Command = z.infer<typeof CommandSchema>;

export const COMMAND_FIELDS: readonly FieldSpec[] = [
  ["bypass_local_limit", "omitEmpty"],
  ["id", "req"],
  ["version", "req"],
  ["request_id", "req"],
  ["exec_id", "nul"],
  ["shell", "req"],
  ["script", "req"],
  ["script_object", "omit"],
  ["script_object_sha256", "omit"],
  ["timeout_secs", "req"],
  ["jitter_secs", "nul"],
  ["run_as", "req"],
  ["cwd", "omit"],
  ["deadline_at", "omit", ts],
  ["staleness", "req", encodeStaleness],
  ["emit", "omit", encodeEmit],
  ["check", "omit", encodeCheck],
  ["collect", "omit", encodeCollect],
  [
    "retry",
    "omit",
    (v) => encodeOrdered([["max", "req"], ["backoff_secs", "req"]], v as Record<string, unknown>),
  ],
];

export function encodeCommand(
  c: Partial<Command> & Pick<Command, "id" | "version" | "request_id">,
) {
  return encodeOrdered(COMMAND_FIELDS, {
    run_as: "system",
    staleness: { mode: "cached" },
    ...c,
  } as Record<string, unknown>);
}

// ---------------------------------------------------------------- ExecResult (§4.2)

export const ExecResultSchema = z.object({
  result_id: z.string().nullish().transform((v) => v ?? ""),
  request_id: z.string(),
  exec_id: z.string().nullish(),
  parent_result_id: z.string().nullish(),
  pc_id: z.string(),
  exit_code: z.number().int(),
  skipped: z.boolean().optional(),
  stdout: z.string().default(""),
  stderr: z.string().default(""),
  started_at: rfc3339,
  finished_at: rfc3339,
  stdout_object: z.string().nullish(),
  stderr_object: z.string().nullish(),
  manifest_id: z.string().nullish(),
  collect_object: z.string().nullish(),
});
export type ExecResult = z.infer<typeof ExecResultSchema>;

export const EXEC_RESULT_FIELDS: readonly FieldSpec[] = [
  ["result_id", "req"],
  ["request_id", "req"],
  ["exec_id", "omit"],
  ["parent_result_id", "omit"],
  ["pc_id", "req"],
  ["exit_code", "req"],
  ["skipped", "omitEmpty"],
  ["stdout", "req"],
  ["stderr", "req"],
  ["started_at", "req", ts],
  ["finished_at", "req", ts],
  ["stdout_object", "omit"],
  ["stderr_object", "omit"],
  ["manifest_id", "omit"],
  ["collect_object", "omit"],
];
export const encodeExecResult = (r: ExecResult) =>
  encodeOrdered(EXEC_RESULT_FIELDS, r as Record<string, unknown>);

// ---------------------------------------------------------------- EventStarted (§4.3)

export const EventStartedSchema = z.object({
  result_id: z.string(),
  request_id: z.string(),
  exec_id: z.string(),
  pc_id: z.string(),
  started_at: rfc3339,
  manifest_id: z.string(),
  version: z.string(),
});
export type EventStarted = z.infer<typeof EventStartedSchema>;
export const EVENT_STARTED_FIELDS: readonly FieldSpec[] = [
  ["result_id", "req"],
  ["request_id", "req"],
  ["exec_id", "req"],
  ["pc_id", "req"],
  ["started_at", "req", ts],
  ["manifest_id", "req"],
  ["version", "req"],
];
export const encodeEventStarted = (e: EventStarted) =>
  encodeOrdered(EVENT_STARTED_FIELDS, e as Record<string, unknown>);

// ---------------------------------------------------------------- Heartbeat (§4.4)

export const HeartbeatSchema = z.object({
  pc_id: z.string(),
  at: rfc3339,
  agent_version: z.string(),
  hostname: z.string().nullish(),
  os_family: z.string().nullish(),
  agent_cpu_pct: z.number().nullish(),
  agent_rss_bytes: z.number().int().nullish(),
  agent_disk_read_bytes: z.number().int().nullish(),
  agent_disk_written_bytes: z.number().int().nullish(),
  quarantined_versions: z.array(z.string()).nullish(),
  last_logon_user: z.string().nullish(),
  last_logon_display_name: z.string().nullish(),
  command_keys: z.array(z.string()).nullish(),
});
export type Heartbeat = z.infer<typeof HeartbeatSchema>;
export const HEARTBEAT_FIELDS: readonly FieldSpec[] = [
  ["pc_id", "req"],
  ["at", "req", ts],
  ["agent_version", "req"],
  ["hostname", "omit"],
  ["os_family", "omit"],
  ["agent_cpu_pct", "omit"],
  ["agent_rss_bytes", "omit"],
  ["agent_disk_read_bytes", "omit"],
  ["agent_disk_written_bytes", "omit"],
  ["quarantined_versions", "omitEmpty"],
  ["last_logon_user", "omit"],
  ["last_logon_display_name", "omit"],
  ["command_keys", "omit"],
];
export const encodeHeartbeat = (h: Heartbeat) =>
  encodeOrdered(HEARTBEAT_FIELDS, h as Record<string, unknown>);

// ---------------------------------------------------------------- AuditEvent (§4.14)

export const AuditEventSchema = z.object({
  actor: z.string(),
  action: z.string(),
  target: z.string().nullish().transform((v) => v ?? null),
  payload: z.unknown().transform((v) => v ?? null),
  occurred_at: rfc3339,
});
export type AuditEvent = z.infer<typeof AuditEventSchema>;
export const AUDIT_EVENT_FIELDS: readonly FieldSpec[] = [
  ["actor", "req"],
  ["action", "req"],
  ["target", "nul"],
  ["payload", "nul"],
  ["occurred_at", "req", ts],
];
export const encodeAuditEvent = (a: AuditEvent) =>
  encodeOrdered(AUDIT_EVENT_FIELDS, a as Record<string, unknown>);
