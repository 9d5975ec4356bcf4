/**
 * `ConfigScope` (KV `agent_config`, keys `global`, `groups.<name>`, `pcs.<pc_id>`): every field
 * omit-if-absent; `{}` inherits everything. Resolution: defaults → global → groups
 * alphabetically (last wins) → pc (protocol.md §4.12).
 */
import { z } from "zod";
import { encodeOrdered, type FieldSpec } from "./codec.ts";
import { durationError } from "./duration.ts";
import { isRfc3339, wireTs } from "./time.ts";

const humantime = z.string().refine((s) => durationError(s) === null, {
  message: "must be a humantime duration such as 30s or 5m",
});

/** Reader: tolerant (unknown and retired keys ignored, durations not re-checked). */
export const ConfigScopeSchema = z.object({
  target_version: z.string().nullish(),
  target_version_jitter: z.string().nullish(),
  heartbeat_interval: z.string().nullish(),
  host_perf_interval: z.string().nullish(),
  process_perf_enabled: z.boolean().nullish(),
  process_perf_expires_at: z.string().nullish(),
  process_perf_top_n: z.number().int().nonnegative().nullish(),
});
export type ConfigScope = z.infer<typeof ConfigScopeSchema>;

/** Writer boundary (PUT): strict keys, valid durations and timestamps. */
export const ConfigScopeInputSchema = z.strictObject({
  target_version: z.string().min(1).nullish(),
  target_version_jitter: humantime.nullish(),
  heartbeat_interval: humantime.nullish(),
  host_perf_interval: humantime.nullish(),
  process_perf_enabled: z.boolean().nullish(),
  process_perf_expires_at: z.string().refine(isRfc3339, "must be an RFC 3339 timestamp").nullish(),
  process_perf_top_n: z.number().int().min(1).max(1000).nullish(),
});

export const CONFIG_SCOPE_FIELDS: readonly FieldSpec[] = [
  ["target_version", "omit"],
  ["target_version_jitter", "omit"],
  ["heartbeat_interval", "omit"],
  ["host_perf_interval", "omit"],
  ["process_perf_enabled", "omit"],
  ["process_perf_expires_at", "omit", (v) => wireTs(v as string)],
  ["process_perf_top_n", "omit"],
];

export function encodeConfigScope(s: ConfigScope): Record<string, unknown> {
  return encodeOrdered(CONFIG_SCOPE_FIELDS, s as Record<string, unknown>);
}

/** Every field resolved: what an agent runs with (defaults filled in). */
export const EffectiveConfigSchema = z.strictObject({
  target_version: z.string().nullable(),
  target_version_jitter: z.string(),
  heartbeat_interval: z.string(),
  host_perf_interval: z.string(),
  process_perf_enabled: z.boolean(),
  process_perf_expires_at: z.string().nullable(),
  process_perf_top_n: z.number().int(),
});
export type EffectiveConfig = z.infer<typeof EffectiveConfigSchema>;

export const CONFIG_DEFAULTS: EffectiveConfig = {
  target_version: null,
  target_version_jitter: "10m",
  heartbeat_interval: "30s",
  host_perf_interval: "60s",
  process_perf_enabled: false,
  process_perf_expires_at: null,
  process_perf_top_n: 20,
};

/**
 * Layer scopes: defaults → global → each group (alphabetical; last wins) → pc.
 * A warning names every field two groups set to different values.
 */
export function resolveEffectiveConfig(
  global: ConfigScope | null,
  groups: { name: string; scope: ConfigScope }[],
  pc: ConfigScope | null,
): { effective: EffectiveConfig; warnings: string[] } {
  const eff: Record<string, unknown> = { ...CONFIG_DEFAULTS };
  const apply = (s: ConfigScope | null) => {
    if (!s) return;
    for (const [k, v] of Object.entries(s)) {
      if (v !== undefined && v !== null && k in eff) eff[k] = v;
    }
  };
  apply(global);
  const warnings: string[] = [];
  // Byte order, as upstream's Rust `sort()` (and `normalizeGroups`): "B" sorts before "a".
  const sorted = [...groups].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const seen = new Map<string, { group: string; value: unknown }>();
  for (const g of sorted) {
    for (const [k, v] of Object.entries(g.scope)) {
      if (v === undefined || v === null || !(k in eff)) continue;
      const prev = seen.get(k);
      if (prev && JSON.stringify(prev.value) !== JSON.stringify(v)) {
        warnings.push(
          `${k}: groups '${prev.group}' (${JSON.stringify(prev.value)}) and '${g.name}' (${
            JSON.stringify(v)
          }) disagree; '${g.name}' wins (alphabetical order)`,
        );
      }
      seen.set(k, { group: g.name, value: v });
    }
    apply(g.scope);
  }
  apply(pc);
  return { effective: eff as unknown as EffectiveConfig, warnings };
}
