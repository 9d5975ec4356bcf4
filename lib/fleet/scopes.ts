/**
 * Names of the `agent_config` scopes (protocol.md §4.12): `global`, `groups.<name>`,
 * `pcs.<pc_id>`. Pure: building, parsing and labelling keys, and validating the ids that
 * go into them (one subject token that is also a legal KV key part).
 */
import { z } from "zod";
import {
  isSubjectToken,
  KEY_AGENT_CONFIG_GLOBAL,
  PREFIX_AGENT_CONFIG_GROUPS,
  PREFIX_AGENT_CONFIG_PCS,
} from "../../wire/names.ts";
import { badRequest } from "../errors.ts";
import { isKvToken } from "../kv.ts";

export type Scope =
  | { type: "global" }
  | { type: "group"; value: string }
  | { type: "pc"; value: string };

/** `{type, value?}` as the rollout body sends it. */
export const ScopeInputSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("global"), value: z.string().nullish() }),
  z.object({ type: z.literal("group"), value: z.string().min(1) }),
  z.object({ type: z.literal("pc"), value: z.string().min(1) }),
]);

/**
 * 400 unless `value` can be a pc id / group name: one subject token (no dots, spaces or
 * wildcards). With `kv` (the default) it must also be usable inside a KV key (A-Z a-z 0-9
 * - _ = /), which every route touching `agent_groups` / `agent_config` needs.
 */
export function checkId(
  kind: "pc_id" | "group",
  value: string,
  opts: { kv?: boolean } = {},
): string {
  if (!isSubjectToken(value)) {
    throw badRequest(
      `invalid ${kind} '${value}': must be one subject token (1-256 characters, no dots, spaces or wildcards)`,
    );
  }
  if ((opts.kv ?? true) && !isKvToken(value)) {
    throw badRequest(
      `invalid ${kind} '${value}': only A-Z a-z 0-9 - _ = / can be stored in the KV buckets`,
    );
  }
  return value;
}

export function scopeOf(input: z.infer<typeof ScopeInputSchema>): Scope {
  if (input.type === "global") return { type: "global" };
  return { type: input.type, value: checkId(input.type === "pc" ? "pc_id" : "group", input.value) };
}

export function scopeKey(s: Scope): string {
  switch (s.type) {
    case "global":
      return KEY_AGENT_CONFIG_GLOBAL;
    case "group":
      return PREFIX_AGENT_CONFIG_GROUPS + s.value;
    case "pc":
      return PREFIX_AGENT_CONFIG_PCS + s.value;
  }
}

export function scopeLabel(s: Scope): string {
  return s.type === "global" ? "global" : `${s.type}:${s.value}`;
}

/** The scope a stored key names, or null for legacy/unknown keys. */
export function parseScopeKey(key: string): Scope | null {
  if (key === KEY_AGENT_CONFIG_GLOBAL) return { type: "global" };
  if (
    key.startsWith(PREFIX_AGENT_CONFIG_GROUPS) && key.length > PREFIX_AGENT_CONFIG_GROUPS.length
  ) {
    return { type: "group", value: key.slice(PREFIX_AGENT_CONFIG_GROUPS.length) };
  }
  if (key.startsWith(PREFIX_AGENT_CONFIG_PCS) && key.length > PREFIX_AGENT_CONFIG_PCS.length) {
    return { type: "pc", value: key.slice(PREFIX_AGENT_CONFIG_PCS.length) };
  }
  return null;
}
