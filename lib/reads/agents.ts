/**
 * Agents read model: heartbeat-derived rows with search, online/offline split and
 * paging. Online = last heartbeat within `aliveWindowSecs` (compared as canonical text).
 */
import { z } from "zod";
import type { Db } from "../../db/client.ts";
import { apiTs, dbTs, WireTimestampSchema } from "../../wire/time.ts";
import { notFound } from "../errors.ts";
import type { Presence } from "../fleet/presence.ts";
import { likeContains, limitParam, offsetParam, optText } from "./params.ts";

export const AgentsQuerySchema = z.object({
  q: optText,
  status: z.enum(["online", "offline"], { error: "must be online or offline" }).optional(),
  version: optText,
  limit: limitParam(1000, 5000),
  offset: offsetParam,
});
export type AgentsQuery = z.infer<typeof AgentsQuerySchema>;

const nullableNumber = z.number().nullable();

export const AgentRowSchema = z.strictObject({
  pc_id: z.string(),
  hostname: z.string().nullable(),
  os_family: z.string().nullable(),
  agent_version: z.string().nullable(),
  last_heartbeat: WireTimestampSchema.nullable(),
  updated_at: WireTimestampSchema.nullable(),
  agent_cpu_pct: nullableNumber,
  agent_rss_bytes: nullableNumber,
  agent_disk_read_bytes: nullableNumber,
  agent_disk_written_bytes: nullableNumber,
  online: z.boolean().meta({ description: "last heartbeat within the alive window" }),
});
export type AgentRow = z.infer<typeof AgentRowSchema>;

export const AgentVersionSchema = z.strictObject({
  version: z.string().meta({ description: "`unknown` when the agent never said" }),
  total: z.number().int(),
  active: z.number().int(),
});

export function toAgentRow(r: Record<string, unknown>, aliveCutoff: string): AgentRow {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const hb = (r.last_heartbeat as string | null) ?? null;
  return {
    pc_id: String(r.pc_id),
    hostname: (r.hostname as string | null) ?? null,
    os_family: (r.os_family as string | null) ?? null,
    agent_version: (r.agent_version as string | null) ?? null,
    last_heartbeat: apiTs(hb),
    updated_at: apiTs(r.updated_at),
    agent_cpu_pct: num(r.agent_cpu_pct),
    agent_rss_bytes: num(r.agent_rss_bytes),
    agent_disk_read_bytes: num(r.agent_disk_read_bytes),
    agent_disk_written_bytes: num(r.agent_disk_written_bytes),
    online: hb !== null && hb >= aliveCutoff,
  };
}

export const aliveCutoff = (aliveWindowSecs: number, nowMs = Date.now()) =>
  dbTs(nowMs - aliveWindowSecs * 1000);

export interface AgentsPage {
  rows: AgentRow[];
  total: number;
  online: number;
  offline: number;
}

/**
 * One page of agents with the total / online / offline counts. Without `q` or `version`
 * the counts come from the process's presence view (lib/fleet/presence.ts: O(alive window),
 * not a count over every agent); with them the counts are SQL over the matching rows,
 * because a substring search cannot use an index and is a scan by nature.
 */
export async function listAgents(
  db: Db,
  q: AgentsQuery,
  aliveWindowSecs: number,
  nowMs = Date.now(),
  presence?: Presence,
): Promise<AgentsPage> {
  const cutoff = aliveCutoff(aliveWindowSecs, nowMs);
  const base: string[] = [];
  const args: (string | number)[] = [];
  if (q.q) {
    base.push(`(pc_id LIKE ? ESCAPE '\\' OR hostname LIKE ? ESCAPE '\\')`); // LIKE is ASCII case-insensitive
    args.push(likeContains(q.q), likeContains(q.q));
  }
  if (q.version) {
    base.push("agent_version = ?");
    args.push(q.version);
  }
  const ONLINE = "(last_heartbeat IS NOT NULL AND last_heartbeat >= ?)";
  const listWhere = [...base];
  const listArgs = [...args];
  if (q.status) {
    // The page walks the (rev DESC, pc_id) index and filters. Online agents are most of a
    // fleet, so a page is found early; offline ones sit at the old end of the order, so
    // without a search or version filter they come from the presence view (offlinePage).
    listWhere.push(q.status === "online" ? ONLINE : `NOT ${ONLINE}`);
    listArgs.push(cutoff);
  }
  const w = (xs: string[]) => (xs.length ? ` WHERE ${xs.join(" AND ")}` : "");
  const pageStmt = {
    // Newest first (spec: by updated_at). The fleet revision grows with updated_at in commit
    // order, and its index is the one the followers use (migration 20261206051500).
    sql: `SELECT * FROM agents${w(listWhere)} ORDER BY rev DESC, pc_id LIMIT ? OFFSET ?`,
    args: [...listArgs, q.limit, q.offset],
  };
  if (presence && base.length === 0) {
    const rs = q.status === "offline"
      ? await offlinePage(db, presence, nowMs - aliveWindowSecs * 1000, q)
      : await db.execute(pageStmt);
    const online = presence.onlineCount(nowMs - aliveWindowSecs * 1000);
    const offline = presence.size - online;
    return {
      rows: rs.rows.map((r) => toAgentRow(r as Record<string, unknown>, cutoff)),
      total: q.status === "online" ? online : q.status === "offline" ? offline : presence.size,
      online,
      offline,
    };
  }
  const [page, total, split] = await db.batch([
    pageStmt,
    { sql: `SELECT COUNT(*) AS n FROM agents${w(listWhere)}`, args: listArgs },
    {
      sql: `SELECT COALESCE(SUM(CASE WHEN ${ONLINE} THEN 1 ELSE 0 END), 0) AS online, COUNT(*) AS n
            FROM agents${w(base)}`,
      args: [cutoff, ...args],
    },
  ], "read");
  const online = Number(split.rows[0].online);
  return {
    rows: page.rows.map((r) => toAgentRow(r as Record<string, unknown>, cutoff)),
    total: Number(total.rows[0].n),
    online,
    offline: Number(split.rows[0].n) - online,
  };
}

/**
 * A page of offline agents from the presence view: the silent ones (O(offline), from its
 * per-second buckets) in the page's order, then their rows by primary key. Why not SQL: no
 * index on last_heartbeat (each heartbeat would move the agent in it; migration
 * 20261206051500), and in the page's order the offline agents come after every online one.
 */
async function offlinePage(db: Db, presence: Presence, cutoffMs: number, q: AgentsQuery) {
  const silent = [...presence.silentBefore(cutoffMs)].sort((a, b) =>
    b.rev - a.rev || (a.pcId < b.pcId ? -1 : a.pcId > b.pcId ? 1 : 0)
  );
  const ids = silent.slice(q.offset, q.offset + q.limit).map((e) => e.pcId);
  if (ids.length === 0) return { rows: [] as Record<string, unknown>[] };
  const rs = await db.execute({
    sql: `SELECT * FROM agents WHERE pc_id IN (${ids.map(() => "?").join(",")})`,
    args: ids,
  });
  const byId = new Map(rs.rows.map((r) => [String(r.pc_id), r as Record<string, unknown>]));
  // A row forgotten since the view's last sync is left out.
  return { rows: ids.flatMap((id) => byId.get(id) ?? []) };
}

/** How many known agents are online (a heartbeat within the alive window) and offline. */
export async function countAgents(
  db: Db,
  aliveWindowSecs: number,
  nowMs = Date.now(),
): Promise<{ online: number; offline: number }> {
  const rs = await db.execute({
    sql: `SELECT COALESCE(SUM(CASE WHEN last_heartbeat >= ? THEN 1 ELSE 0 END), 0) AS online,
            COUNT(*) AS n FROM agents`,
    args: [aliveCutoff(aliveWindowSecs, nowMs)],
  });
  const online = Number(rs.rows[0].online);
  return { online, offline: Number(rs.rows[0].n) - online };
}

export async function getAgent(db: Db, pcId: string, aliveWindowSecs: number): Promise<AgentRow> {
  const rs = await db.execute({ sql: "SELECT * FROM agents WHERE pc_id = ?", args: [pcId] });
  if (!rs.rows[0]) throw notFound(`agent ${pcId} not found`);
  return toAgentRow(rs.rows[0] as Record<string, unknown>, aliveCutoff(aliveWindowSecs));
}

/** Agents per version, from the presence view (in memory) when given, else one GROUP BY. */
export async function agentVersions(
  db: Db,
  aliveWindowSecs: number,
  presence?: Presence,
): Promise<z.infer<typeof AgentVersionSchema>[]> {
  if (presence) return presence.versions(Date.now() - aliveWindowSecs * 1000);
  const rs = await db.execute({
    sql: `SELECT COALESCE(agent_version, 'unknown') AS version, COUNT(*) AS total,
            SUM(CASE WHEN last_heartbeat >= ? THEN 1 ELSE 0 END) AS active
          FROM agents GROUP BY 1 ORDER BY total DESC, version DESC`,
    args: [aliveCutoff(aliveWindowSecs)],
  });
  return rs.rows.map((r) => ({
    version: String(r.version),
    total: Number(r.total),
    active: Number(r.active ?? 0),
  }));
}
