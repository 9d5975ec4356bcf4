/**
 * `AgentGroups` (KV `agent_groups`, key = pc_id): `{"groups":[...]}` sorted and de-duplicated
 * so equal sets give identical bytes. `groups` has no default upstream (`{}` fails); readers
 * here also accept a bare JSON string array, a shape an upstream scheduler once expected.
 */
import { z } from "zod";

export const AgentGroupsSchema = z.object({ groups: z.array(z.string()) });
export type AgentGroups = z.infer<typeof AgentGroupsSchema>;

export function normalizeGroups(groups: readonly string[]): string[] {
  return [...new Set(groups.map((g) => g.trim()).filter(Boolean))].sort();
}

export function encodeAgentGroups(groups: readonly string[]): string {
  return JSON.stringify({ groups: normalizeGroups(groups) });
}

/** Decode either `{"groups":[...]}` or `[...]`; anything else is an error. */
export function decodeAgentGroups(value: unknown): string[] {
  if (Array.isArray(value) && value.every((g) => typeof g === "string")) {
    return normalizeGroups(value);
  }
  return normalizeGroups(AgentGroupsSchema.parse(value).groups);
}
