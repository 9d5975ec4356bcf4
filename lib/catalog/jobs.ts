/**
 * The job catalog (KV `jobs`, YAML mirror in `jobs_yaml`): list with live counts, strict
 * upsert, YAML read-back, and delete with a schedule guard and cascade revoke.
 */
import YAML from "yaml";
import { z } from "zod";
import type { Deps } from "../deps.ts";
import type { Caller } from "../auth.ts";
import { badRequest, conflict, internal, notFound, unavailable } from "../errors.ts";
import { recordAudit } from "../audit.ts";
import { rowsOf } from "../../db/client.ts";
import { BUCKET, SCRIPT_STATUS_REVOKED } from "../../wire/names.ts";
import { parseJsonBytes, utf8 } from "../../wire/codec.ts";
import {
  decodeManifest,
  type Manifest,
  ManifestInputSchema,
  parseManifestInput,
} from "../../wire/manifest.ts";
import { encodeManifest, manifestJson } from "../../wire/manifest_encode.ts";
import { isValidJobId } from "../../wire/manifest_validate.ts";
import { createKv, getFromOptionalBucket, type KV, kvSnapshot, openKvOrNull } from "../kv.ts";
import { inventorySpecs } from "../inventory/spec.ts";

export const JOBS_HISTORY = 5;

/** 400 for a path id that can never be a job (it would be an invalid KV key). */
export function checkJobId(id: string): string {
  if (!isValidJobId(id)) {
    throw badRequest(`invalid job id '${id}': use letters, digits and - _ = / .`);
  }
  return id;
}

async function ensureKv(deps: Deps, bucket: string): Promise<KV> {
  const kv = await openKvOrNull(deps.nats, bucket);
  // Upstream creates the bucket on first upsert.
  return kv ?? await createKv(deps.nats, bucket, { history: JOBS_HISTORY });
}

/** The stored manifest, or null (unknown id, missing bucket). Undecodable → 500. */
export async function fetchJob(deps: Deps, id: string): Promise<Manifest | null> {
  const e = await getFromOptionalBucket(deps.nats, BUCKET.jobs, id);
  if (!e || e.operation !== "PUT") return null;
  let m: Manifest | null = null;
  try {
    m = decodeManifest(parseJsonBytes(e.value));
  } catch {
    m = null;
  }
  if (!m) throw internal(`job catalog lookup: stored job '${id}' does not decode`);
  return m;
}

export const LiveCountsSchema = z.strictObject({
  running: z.number().int(),
  pending: z.number().int(),
});
export type LiveCounts = z.infer<typeof LiveCountsSchema>;

/** One entry of `GET /api/jobs`: the stored manifest as written, plus its live counts. */
export const JobListItemSchema = ManifestInputSchema.extend({
  live: LiveCountsSchema.meta({ description: "executions of this job pending or running now" }),
});

export async function liveCounts(deps: Deps): Promise<Map<string, LiveCounts>> {
  const rs = await deps.db.execute(
    `SELECT job_id, status, COUNT(*) AS n FROM executions
     WHERE status IN ('pending', 'running') GROUP BY job_id, status`,
  );
  const out = new Map<string, LiveCounts>();
  for (const r of rowsOf<{ job_id: string; status: string; n: number }>(rs)) {
    const c = out.get(r.job_id) ?? { running: 0, pending: 0 };
    if (r.status === "running") c.running = Number(r.n);
    else c.pending = Number(r.n);
    out.set(r.job_id, c);
  }
  return out;
}

/** Every decodable manifest, sorted by id, each with `live{running, pending}`. */
export async function listJobs(deps: Deps): Promise<Record<string, unknown>[]> {
  const values = await kvSnapshot(deps.nats, BUCKET.jobs);
  const jobs: Manifest[] = [];
  for (const v of values) {
    try {
      const m = decodeManifest(parseJsonBytes(v.value));
      if (m) jobs.push(m);
    } catch {
      // undecodable entries are skipped, as upstream
    }
  }
  jobs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const live = await liveCounts(deps);
  return jobs.map((m) => ({
    ...encodeManifest(m),
    live: live.get(m.id) ?? { running: 0, pending: 0 },
  }));
}

export const JobSummarySchema = z.strictObject({
  id: z.string(),
  version: z.string(),
  description: z.string().nullable(),
  inventory: z.boolean().meta({ description: "the manifest has an `inventory` hint" }),
});
export type JobSummary = z.infer<typeof JobSummarySchema>;

/** Strict parse + validate, upsert `jobs[id]`, mirror the YAML, audit `job_upsert`. */
export async function upsertJob(
  deps: Deps,
  doc: { value: unknown; raw: string; yaml: boolean },
  caller?: Caller | null,
): Promise<JobSummary> {
  const parsed = parseManifestInput(doc.value);
  if (!parsed.ok) throw badRequest(parsed.error);
  const m = parsed.value;
  // A bad explode spec would be stored, then silently skipped by every projection.
  const specErrors = inventorySpecs(m.inventory).errors;
  if (specErrors.length) throw badRequest(`inventory: ${specErrors.join("; ")}`);
  const kv = await ensureKv(deps, BUCKET.jobs);
  try {
    await kv.put(m.id, manifestJson(m));
  } catch (e) {
    throw internal(`KV put: ${(e as Error).message}`, e);
  }
  // The operator's own YAML (comments, layout) is kept; JSON bodies get a rendering.
  const yamlText = doc.yaml ? doc.raw : YAML.stringify(encodeManifest(m));
  try {
    const ykv = await ensureKv(deps, BUCKET.jobsYaml);
    await ykv.put(m.id, yamlText);
  } catch (e) {
    deps.log.warn("jobs_yaml mirror failed", { job_id: m.id, err: String(e) });
  }
  const inventory = m.inventory !== null && m.inventory !== undefined;
  await recordAudit(deps.nats, {
    action: "job_upsert",
    target: m.id,
    payload: { version: m.version, inventory },
  }, caller);
  return { id: m.id, version: m.version, description: m.description ?? null, inventory };
}

/** The mirrored YAML, or a rendering of the stored JSON; 404 when the job is absent. */
export async function jobYaml(deps: Deps, id: string): Promise<string> {
  checkJobId(id);
  const kv = await openKvOrNull(deps.nats, BUCKET.jobs);
  const e = kv ? await kv.get(id) : null;
  if (!e || e.operation !== "PUT") throw notFound(`job '${id}' not found`);
  const ykv = await openKvOrNull(deps.nats, BUCKET.jobsYaml);
  const y = ykv ? await ykv.get(id).catch(() => null) : null;
  if (y && y.operation === "PUT" && y.value.length > 0) return utf8(y.value);
  try {
    return YAML.stringify(parseJsonBytes(e.value));
  } catch {
    return utf8(e.value);
  }
}

/** The first schedule whose `job_id` is `id` (either schedule shape), or null. */
export async function scheduleReferencing(deps: Deps, id: string): Promise<string | null> {
  for (const v of await kvSnapshot(deps.nats, BUCKET.schedules)) {
    try {
      const s = parseJsonBytes(v.value) as Record<string, unknown> | null;
      if (s && typeof s === "object" && s.job_id === id) {
        return typeof s.id === "string" ? s.id : v.key;
      }
    } catch {
      // an undecodable schedule references nothing we can name
    }
  }
  return null;
}

/**
 * Delete a job: 409 while a schedule uses it; revoke first (so agents holding the
 * manifest stop running it), then delete; audit either outcome.
 */
export async function deleteJob(deps: Deps, id: string, caller?: Caller | null): Promise<void> {
  checkJobId(id);
  const sched = await scheduleReferencing(deps, id);
  if (sched !== null) {
    throw conflict(`job '${id}' is referenced by schedule '${sched}'; remove the schedule first`);
  }
  const statusKv = await openKvOrNull(deps.nats, BUCKET.scriptStatus);
  if (!statusKv) throw unavailable("script_status bucket missing: run `kanade jetstream setup`");
  const jobsKv = await openKvOrNull(deps.nats, BUCKET.jobs);
  if (!jobsKv) throw notFound("jobs bucket missing");
  try {
    await statusKv.put(id, SCRIPT_STATUS_REVOKED);
  } catch (e) {
    throw internal(`script_status put: ${(e as Error).message}`, e);
  }
  try {
    await jobsKv.delete(id);
  } catch (e) {
    const msg = (e as Error).message;
    await recordAudit(deps.nats, {
      action: "job_delete_failed_post_revoke",
      target: id,
      payload: { cascade_revoke: true, error: msg },
    }, caller);
    throw internal(
      `kv delete: ${msg}; script_status.${id} is already REVOKED — \`kanade unrevoke ${id}\` (or POST /api/scripts/${id}/unrevoke) to recover`,
      e,
    );
  }
  // The mirror goes too; a failure only leaves a stale YAML behind a missing job.
  const ykv = await openKvOrNull(deps.nats, BUCKET.jobsYaml).catch(() => null);
  await ykv?.delete(id).catch(() => {});
  await recordAudit(deps.nats, {
    action: "job_delete",
    target: id,
    payload: { cascade_revoke: true },
  }, caller);
}
