/**
 * The agents' view of KV `agent_config`: the watched scopes and each agent's effective
 * config (global → groups → pc, as the real agent resolves it).
 */
import {
  type ConfigScope,
  ConfigScopeSchema,
  type EffectiveConfig,
  resolveEffectiveConfig,
} from "../wire/config_scope.ts";
import { parseDurationMs } from "../wire/duration.ts";
import {
  KEY_AGENT_CONFIG_GLOBAL,
  PREFIX_AGENT_CONFIG_GROUPS,
  PREFIX_AGENT_CONFIG_PCS,
} from "../wire/names.ts";
import type { KvEntry } from "../lib/kv.ts";
import { DEFAULT_INTERVAL_MS } from "./heartbeat.ts";

export class ConfigScopes {
  private scopes = new Map<string, ConfigScope>();

  /** One watched `agent_config` entry; a value that does not parse is ignored. */
  apply(e: KvEntry) {
    if (e.operation === "PUT") {
      const parsed = ConfigScopeSchema.safeParse(e.json());
      if (parsed.success) this.scopes.set(e.key, parsed.data);
    } else this.scopes.delete(e.key);
  }

  clear() {
    this.scopes.clear();
  }

  effective(pcId: string, groups: string[]): EffectiveConfig {
    const scopes = this.scopes;
    return resolveEffectiveConfig(
      scopes.get(KEY_AGENT_CONFIG_GLOBAL) ?? null,
      groups.flatMap((g) => {
        const s = scopes.get(PREFIX_AGENT_CONFIG_GROUPS + g);
        return s ? [{ name: g, scope: s }] : [];
      }),
      scopes.get(PREFIX_AGENT_CONFIG_PCS + pcId) ?? null,
    ).effective;
  }
}

/** The heartbeat interval of an effective config (a fixed override wins). */
export function intervalOf(eff: EffectiveConfig, fixedMs?: number): number {
  if (fixedMs) return fixedMs;
  try {
    return Math.max(50, parseDurationMs(eff.heartbeat_interval));
  } catch {
    return DEFAULT_INTERVAL_MS;
  }
}
