/**
 * Group membership in KV `agent_groups` (key = pc_id, `{"groups":[...]}` sorted and
 * de-duplicated). Every edit is a revision-checked read-modify-write, so concurrent adds
 * all survive; an edit that leaves the set unchanged writes nothing.
 */
import { z } from "zod";
import { decodeAgentGroups, encodeAgentGroups, normalizeGroups } from "../../wire/agent_groups.ts";
import { BUCKET, PREFIX_AGENT_CONFIG_GROUPS } from "../../wire/names.ts";
import { parseJsonBytes } from "../../wire/codec.ts";
import type { Nats } from "../nats.ts";
import type { Deps } from "../deps.ts";
import type { Caller } from "../auth.ts";
import { recordAudit } from "../audit.ts";
import { fleetView } from "./fleet_view.ts";
import type { Memberships } from "./memberships.ts";
import { type CasResult, casUpdate, type Codec, DELETE, type KV, openKv, readKey } from "../kv.ts";

export const groupsCodec: Codec<string[]> = {
  decode: (b) => decodeAgentGroups(parseJsonBytes(b)),
  encode: (v) => encodeAgentGroups(v),
  empty: () => [],
};

export function groupsKv(nats: Nats): Promise<KV> {
  return openKv(nats, BUCKET.agentGroups);
}

export async function getGroups(nats: Nats, pcId: string): Promise<string[]> {
  return (await readKey(await groupsKv(nats), pcId, groupsCodec))?.value ?? [];
}

export type GroupEdit =
  | { op: "set"; groups: string[] }
  | { op: "add"; group: string }
  | { op: "remove"; group: string };

/** Pure: the membership after an edit. */
export function applyGroupEdit(current: readonly string[], edit: GroupEdit): string[] {
  switch (edit.op) {
    case "set":
      return normalizeGroups(edit.groups);
    case "add":
      return normalizeGroups([...current, edit.group]);
    case "remove":
      return normalizeGroups(current.filter((g) => g !== edit.group));
  }
}

export async function editGroups(
  nats: Nats,
  pcId: string,
  edit: GroupEdit,
): Promise<CasResult<string[]>> {
  // A replaced/overwritten list need not decode the old one; add/remove must not clobber it.
  return casUpdate(
    await groupsKv(nats),
    pcId,
    groupsCodec,
    (cur) => applyGroupEdit(cur, edit),
    { onCorrupt: edit.op === "set" ? "empty" : "throw" },
  );
}

const EDIT_ACTION = {
  set: "agent_groups_set",
  add: "agent_groups_add",
  remove: "agent_groups_remove",
} as const;

/**
 * An operator's edit of one PC's groups: `editGroups`, then the audit record when it
 * changed something (a no-op edit records nothing). Answers the groups after the edit.
 */
export async function editPcGroups(
  nats: Nats,
  pcId: string,
  edit: GroupEdit,
  caller: Caller | null,
): Promise<{ groups: string[] }> {
  const r = await editGroups(nats, pcId, edit);
  if (r.changed) {
    const payload = edit.op === "set"
      ? { groups: r.value }
      : { group: edit.group, groups: r.value };
    await recordAudit(nats, { action: EDIT_ACTION[edit.op], target: pcId, payload }, caller);
  }
  return { groups: r.value };
}

/** Remove the PC's membership entry entirely (forget). */
export async function dropGroups(nats: Nats, pcId: string): Promise<boolean> {
  const r = await casUpdate(await groupsKv(nats), pcId, groupsCodec, () => DELETE, {
    onCorrupt: "empty",
  });
  return r.changed;
}

/** One PC's groups, as every groups route answers. */
export const GroupsOfPcSchema = z.strictObject({
  groups: z.array(z.string()).meta({ description: "sorted, de-duplicated" }),
});

export const GroupSummarySchema = z.strictObject({
  name: z.string(),
  members: z.array(z.string()),
  has_config: z.boolean().meta({ description: "a `groups.<name>` config scope exists" }),
});
export type GroupSummary = z.infer<typeof GroupSummarySchema>;

/** Pure: fleet-wide groups from memberships and the config keys that exist. */
export function summarizeGroups(
  memberships: ReadonlyMap<string, readonly string[]>,
  configKeys: readonly string[],
): GroupSummary[] {
  const byName = new Map<string, Set<string>>();
  for (const [pc, groups] of memberships) {
    for (const g of groups) {
      if (!byName.has(g)) byName.set(g, new Set());
      byName.get(g)!.add(pc);
    }
  }
  const configured = new Set(
    configKeys.filter((k) => k.startsWith(PREFIX_AGENT_CONFIG_GROUPS)).map((k) =>
      k.slice(PREFIX_AGENT_CONFIG_GROUPS.length)
    ).filter(Boolean),
  );
  for (const g of configured) if (!byName.has(g)) byName.set(g, new Set());
  return [...byName.keys()].sort().map((name) => ({
    name,
    members: [...byName.get(name)!].sort(),
    has_config: configured.has(name),
  }));
}

/** The last summary, reused while memberships and group config keys are unchanged. */
interface Summary {
  changes: number;
  keys: string;
  out: GroupSummary[];
  /** The route's JSON body, encoded on first use. */
  body?: string;
}
const summaries = new WeakMap<Memberships, Summary>();

/**
 * Fleet-wide groups from the process's watched membership map (lib/fleet/memberships.ts)
 * instead of a walk of `agent_groups` per request; the sorted summary is rebuilt only when
 * a membership or a group config key changed.
 */
export async function listGroups(deps: Pick<Deps, "db" | "nats" | "log">): Promise<GroupSummary[]> {
  return (await currentSummary(deps)).out;
}

/**
 * `{"groups": [...]}` as the route sends it, serialised once per summary: at 100,000 PCs
 * the member lists are ~1.5 MB of JSON, and encoding them again per request was most of
 * the route's time.
 */
export async function listGroupsBody(deps: Pick<Deps, "db" | "nats" | "log">): Promise<string> {
  const s = await currentSummary(deps);
  return s.body ??= JSON.stringify({ groups: s.out });
}

async function currentSummary(deps: Pick<Deps, "db" | "nats" | "log">): Promise<Summary> {
  const groups = await fleetView(deps).memberships();
  // Which groups have a config scope, from the watched agent_config map (one catch-up
  // round trip instead of listing the bucket's keys through a consumer per request).
  const keys = (await fleetView(deps).config()).keys().filter((k) =>
    k.startsWith(PREFIX_AGENT_CONFIG_GROUPS)
  );
  const keyStr = keys.sort().join("\n");
  const cached = summaries.get(groups);
  if (cached && cached.changes === groups.changes && cached.keys === keyStr) return cached;
  const fresh: Summary = {
    changes: groups.changes,
    keys: keyStr,
    out: summarizeGroups(groups.all(), keys),
  };
  summaries.set(groups, fresh);
  return fresh;
}
