/**
 * Inventory read model (backend.md §3.7): the inventory-capable jobs from KV `jobs`
 * (read tolerantly), facts per PC, and facts per job.
 */
import { z } from "zod";
import type { Deps } from "../deps.ts";
import type { Db } from "../../db/client.ts";
import { apiTs } from "../../wire/time.ts";
import { BUCKET } from "../../wire/names.ts";
import { notFound } from "../errors.ts";
import { kvScan, openKv } from "../kv.ts";
import { limitParam, offsetParam, parseJsonColumn } from "./params.ts";
import { inventorySpecs } from "../inventory/spec.ts";

export interface InventoryJob {
  manifest_id: string;
  description: string | null;
  display: unknown;
  summary: unknown;
  explode: unknown;
  /** Not in upstream's row: the fields whose changes are kept, for the history pickers. */
  history_scalars: string[];
  pc_count: number;
}

interface HintedManifest {
  id: string;
  description: string | null;
  inventory: Record<string, unknown>;
}

/** Pure, tolerant: the inventory hint of one `jobs` value, or null. */
export function inventoryHintOf(key: string, raw: unknown): HintedManifest | null {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return null;
  const m = raw as Record<string, unknown>;
  const inv = m.inventory;
  if (!inv || typeof inv !== "object" || Array.isArray(inv)) return null;
  return {
    id: typeof m.id === "string" && m.id ? m.id : key,
    description: typeof m.description === "string" ? m.description : null,
    inventory: inv as Record<string, unknown>,
  };
}

async function hintedManifests(deps: Pick<Deps, "nats">): Promise<HintedManifest[]> {
  const out: HintedManifest[] = [];
  const td = new TextDecoder();
  for (const e of await kvScan(await openKv(deps.nats, BUCKET.jobs))) {
    if (e.value.length === 0) continue;
    try {
      const h = inventoryHintOf(e.key, JSON.parse(td.decode(e.value)));
      if (h) out.push(h);
    } catch { /* not JSON: not a manifest we can read */ }
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

export async function inventoryJobs(deps: Pick<Deps, "nats" | "db">): Promise<InventoryJob[]> {
  const jobs = await hintedManifests(deps);
  const counts = await deps.db.execute(
    "SELECT job_id, COUNT(*) AS n FROM inventory_facts GROUP BY job_id",
  );
  const byJob = new Map(counts.rows.map((r) => [String(r.job_id), Number(r.n)]));
  return jobs.map((j) => ({
    manifest_id: j.id,
    description: j.description,
    display: j.inventory.display ?? [],
    summary: j.inventory.summary ?? null,
    explode: j.inventory.explode ?? null,
    history_scalars: inventorySpecs(j.inventory).historyScalars,
    pc_count: byJob.get(j.id) ?? 0,
  }));
}

export async function inventoryForPc(db: Db, pcId: string) {
  const rs = await db.execute({
    sql: `SELECT job_id, facts_json, display_json, summary_json, collected_at, recorded_at
          FROM inventory_facts WHERE pc_id = ? ORDER BY job_id`,
    args: [pcId],
  });
  return rs.rows.map((r) => ({
    job_id: String(r.job_id),
    facts: parseJsonColumn(r.facts_json),
    display: parseJsonColumn(r.display_json) ?? [],
    summary: parseJsonColumn(r.summary_json),
    collected_at: apiTs(r.collected_at),
    recorded_at: apiTs(r.recorded_at),
  }));
}

export const ByJobQuerySchema = z.object({
  limit: limitParam(1000, 5000),
  offset: offsetParam,
});

export async function inventoryByJob(
  deps: Pick<Deps, "db" | "nats">,
  manifestId: string,
  q: z.infer<typeof ByJobQuerySchema>,
) {
  const [page, count] = await deps.db.batch([
    {
      sql: `SELECT pc_id, facts_json, display_json, summary_json, collected_at FROM inventory_facts
            WHERE job_id = ? ORDER BY pc_id LIMIT ? OFFSET ?`,
      args: [manifestId, q.limit, q.offset],
    },
    { sql: "SELECT COUNT(*) AS n FROM inventory_facts WHERE job_id = ?", args: [manifestId] },
  ], "read");
  const total = Number(count.rows[0].n);
  let display: unknown = null;
  let summary: unknown = null;
  for (const r of page.rows) { // hints from the first row that has them
    if (display === null && r.display_json != null) display = parseJsonColumn(r.display_json);
    if (summary === null && r.summary_json != null) summary = parseJsonColumn(r.summary_json);
  }
  if (total === 0 || display === null) {
    // No facts (yet): the catalog decides between "empty" and "unknown job".
    const m = await hintedManifests(deps).catch(() => []);
    const hit = m.find((x) => x.id === manifestId);
    if (!hit && total === 0) throw notFound(`no inventory job ${manifestId}`);
    if (hit) {
      display ??= hit.inventory.display ?? [];
      summary ??= hit.inventory.summary ?? null;
    }
  }
  return {
    manifest_id: manifestId,
    display: display ?? [],
    summary,
    total,
    limit: q.limit,
    offset: q.offset,
    rows: page.rows.map((r) => ({
      pc_id: String(r.pc_id),
      facts: parseJsonColumn(r.facts_json),
      collected_at: apiTs(r.collected_at),
    })),
  };
}
