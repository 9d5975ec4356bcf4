/**
 * Layered agent configuration in KV `agent_config`. Writes are compare-and-swap on the
 * entry revision; a PUT is a **full replace** of the scope (fields left out are unset and
 * inherit from the layer below), and writing the bytes already stored is a no-op.
 */
import { z } from "zod";
import {
  type ConfigScope,
  ConfigScopeSchema,
  type EffectiveConfig,
  EffectiveConfigSchema,
  encodeConfigScope,
  resolveEffectiveConfig,
} from "../../wire/config_scope.ts";
import { BUCKET, KEY_AGENT_TARGET_VERSION } from "../../wire/names.ts";
import { parseJsonBytes, utf8 } from "../../wire/codec.ts";
import type { Nats } from "../nats.ts";
import {
  type CasResult,
  casUpdate,
  type Codec,
  DELETE,
  type KV,
  kvSnapshot,
  type KvValue,
  openKv,
  readKey,
} from "../kv.ts";
import { InternalError } from "../errors.ts";
import { parseScopeKey, type Scope, scopeKey } from "./scopes.ts";
import { getGroups } from "./groups.ts";

/** Drop null/undefined fields: a scope stores only what it sets. */
export function compactScope(s: ConfigScope): ConfigScope {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) if (v !== undefined && v !== null) out[k] = v;
  return out as ConfigScope;
}

export const scopeCodec: Codec<ConfigScope> = {
  decode: (b) => compactScope(ConfigScopeSchema.parse(parseJsonBytes(b))),
  encode: (v) => JSON.stringify(encodeConfigScope(compactScope(v))),
  empty: () => ({}),
};

export function configKv(nats: Nats): Promise<KV> {
  return openKv(nats, BUCKET.agentConfig);
}

/** The stored scope in its wire form; `{}` when unset (inherit everything). */
export async function getScope(nats: Nats, scope: Scope): Promise<Record<string, unknown>> {
  const got = await readKey(await configKv(nats), scopeKey(scope), scopeCodec);
  return encodeConfigScope(got?.value ?? {});
}

/** Full replace. Returns the stored wire form and whether anything was written. */
export async function putScope(
  nats: Nats,
  scope: Scope,
  value: ConfigScope,
): Promise<{ scope: Record<string, unknown>; changed: boolean }> {
  const r = await casUpdate(
    await configKv(nats),
    scopeKey(scope),
    scopeCodec,
    () => compactScope(value),
    { onCorrupt: "empty" },
  );
  return { scope: encodeConfigScope(r.value), changed: r.changed };
}

/** Merge a few fields into a scope (rollout), keeping the others. */
export async function patchScope(
  nats: Nats,
  scope: Scope,
  patch: ConfigScope,
): Promise<CasResult<ConfigScope>> {
  return casUpdate(
    await configKv(nats),
    scopeKey(scope),
    scopeCodec,
    (cur) => compactScope({ ...cur, ...patch }),
  );
}

export async function deleteScope(nats: Nats, scope: Scope): Promise<boolean> {
  const r = await casUpdate(
    await configKv(nats),
    scopeKey(scope),
    scopeCodec,
    () => DELETE,
    { onCorrupt: "empty" },
  );
  return r.changed;
}

export interface StoredScope {
  key: string;
  scope: Scope | null;
  value: ConfigScope | null;
  /** Set for the legacy `target_version` key (a bare version string). */
  legacyTarget?: string;
  error?: string;
}

/** Every scope in the bucket (undecodable ones reported, not thrown). */
export async function listScopes(nats: Nats): Promise<StoredScope[]> {
  return decodeScopes(await kvSnapshot(nats, BUCKET.agentConfig, { required: true }));
}

/** Pure: the stored scopes of `agent_config` entries (legacy key and undecodable ones kept). */
export function decodeScopes(entries: readonly KvValue[]): StoredScope[] {
  return entries.map(({ key, value }) => {
    if (key === KEY_AGENT_TARGET_VERSION) {
      const raw = utf8(value).trim();
      let legacy = raw;
      try {
        const j = JSON.parse(raw);
        if (typeof j === "string") legacy = j;
      } catch { /* bare text */ }
      return { key, scope: null, value: null, legacyTarget: legacy };
    }
    try {
      return { key, scope: parseScopeKey(key), value: scopeCodec.decode(value) };
    } catch (e) {
      return { key, scope: parseScopeKey(key), value: null, error: (e as Error).message };
    }
  });
}

export const EffectiveViewSchema = z.strictObject({
  pc_id: z.string(),
  effective: EffectiveConfigSchema,
  warnings: z.array(z.string()).meta({ description: "fields two groups set differently" }),
  my_groups: z.array(z.string()),
});
export type EffectiveView = z.infer<typeof EffectiveViewSchema>;

/**
 * The layers of one PC: global, its groups (membership read from `agent_groups`) and, when
 * `ownScope`, its own scope. An unreadable scope or membership becomes a warning.
 */
async function pcLayers(nats: Nats, pcId: string, ownScope: boolean) {
  const kv = await configKv(nats);
  const warnings: string[] = [];
  let myGroups: string[] = [];
  try {
    myGroups = await getGroups(nats, pcId);
  } catch (e) {
    // A corrupt membership entry must not hide the rest of the resolution.
    if (!(e instanceof InternalError)) throw e;
    warnings.push(`group membership of '${pcId}' ignored: ${(e as Error).message}`);
  }
  const read = async (key: string) => {
    try {
      return (await readKey(kv, key, scopeCodec))?.value ?? null;
    } catch (e) {
      warnings.push(`scope '${key}' ignored: ${(e as Error).message}`);
      return null;
    }
  };
  const [global, pc, ...groupScopes] = await Promise.all([
    read(scopeKey({ type: "global" })),
    ownScope ? read(scopeKey({ type: "pc", value: pcId })) : null,
    ...myGroups.map((g) => read(scopeKey({ type: "group", value: g }))),
  ]);
  const groups = myGroups.flatMap((name, i) =>
    groupScopes[i] ? [{ name, scope: groupScopes[i]! }] : []
  );
  return { global, groups, pc, myGroups, warnings };
}

/** defaults → global → the PC's groups alphabetically → pc (wire/config_scope.ts). */
export async function effectiveConfig(nats: Nats, pcId: string): Promise<EffectiveView> {
  const l = await pcLayers(nats, pcId, true);
  const r = resolveEffectiveConfig(l.global, l.groups, l.pc);
  return {
    pc_id: pcId,
    effective: r.effective,
    warnings: [...l.warnings, ...r.warnings],
    my_groups: l.myGroups,
  };
}

/**
 * What a scope layers on (later.md §4): for a group, built-in → global (its siblings and
 * the PCs are resolved per PC, so they cannot be known from the group alone); for a PC,
 * built-in → global → its groups, without its own scope. Warnings are dropped: this is
 * the placeholder of a blank field in the scope editors.
 */
export async function inheritedConfig(
  nats: Nats,
  scope: Exclude<Scope, { type: "global" }>,
): Promise<EffectiveConfig> {
  if (scope.type === "group") {
    const global = await readKey(await configKv(nats), scopeKey({ type: "global" }), scopeCodec)
      .then((e) => e?.value ?? null, () => null);
    return resolveEffectiveConfig(global, [], null).effective;
  }
  const l = await pcLayers(nats, scope.value, false);
  return resolveEffectiveConfig(l.global, l.groups, null).effective;
}
