/**
 * App packages (later.md §6): object store `app_packages`, key `<name>/<version>`, up to
 * 8 GiB each. Uploads stream from the request into the store and are committed only
 * after the whole multipart body was read; downloads stream with Range support.
 */
import { z } from "zod";
import type { ObjectInfo, ObjectStore } from "@nats-io/obj";
import type { Deps } from "../deps.ts";
import type { Caller } from "../auth.ts";
import { badRequest, DomainError, internal, notFound, unavailable } from "../errors.ts";
import { recordAudit } from "../audit.ts";
import { OBJECT_STORE } from "../../wire/names.ts";
import { objectModified, splitObjectKey } from "../object_keys.ts";
import { packageKey } from "./key.ts";
import { streamFileField } from "./multipart.ts";
import {
  commitObject,
  deleteObject,
  purgeChunks,
  purgeOrphanChunks,
  type Staged,
  stageObject,
} from "./object_io.ts";

export const APP_PACKAGE_MAX_BYTES = 8 * 1024 * 1024 * 1024;
/** Route body cap: the file plus room for the multipart envelope and other fields. */
export const APP_PACKAGE_BODY_LIMIT = APP_PACKAGE_MAX_BYTES + 1024 * 1024;
/** An upload that sends nothing for this long is abandoned (its chunks purged). */
export const UPLOAD_IDLE_MS = 120_000;

const BUCKET = OBJECT_STORE.appPackages;

export const PackageInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  size: z.number().int().nonnegative(),
  digest: z.string().nullable(),
  modified: z.string().nullable(),
});
export type PackageInfo = z.infer<typeof PackageInfoSchema>;

async function store(deps: Deps): Promise<ObjectStore> {
  try {
    return await deps.nats.obj(BUCKET);
  } catch (e) {
    throw unavailable(`Object Store '${BUCKET}' missing — run \`kanade jetstream setup\``, e);
  }
}

function describe(info: Pick<ObjectInfo, "name" | "size" | "digest" | "mtime">): PackageInfo {
  const { name, version } = splitObjectKey(info.name);
  return {
    name,
    version: version ?? "",
    size: info.size,
    digest: info.digest || null,
    modified: objectModified(info.mtime),
  };
}

/** Newest first, then by name and version (upstream's order). */
export async function listPackages(deps: Deps): Promise<PackageInfo[]> {
  const s = await store(deps);
  const rows = (await s.list()).filter((i) => !i.deleted).map(describe);
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return rows.sort((a, b) =>
    cmp(b.modified ?? "", a.modified ?? "") || cmp(a.name, b.name) || cmp(a.version, b.version)
  );
}

/** The live object of a package, or 404. */
export async function packageInfo(deps: Deps, name: string, version: string): Promise<ObjectInfo> {
  const key = packageKey(name, version);
  const info = await (await store(deps)).info(key);
  if (!info || info.deleted) throw notFound(`app package '${key}' not found`);
  return info;
}

/** One commit per key at a time in this process: each retires exactly what it replaced. */
const commitLocks = new Map<string, Promise<unknown>>();

async function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = commitLocks.get(key) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  const tail = run.catch(() => {});
  commitLocks.set(key, tail);
  try {
    return await run;
  } finally {
    if (commitLocks.get(key) === tail) commitLocks.delete(key);
  }
}

/**
 * `POST /api/app-packages/{name}/{version}`: the `file` field is staged as it arrives;
 * only a body that parsed completely with exactly one non-empty `file` field replaces
 * the object. Upstream's 400 texts; 503 when the store is missing.
 */
export async function uploadPackage(
  deps: Deps,
  name: string,
  version: string,
  req: Request,
  caller?: Caller | null,
): Promise<PackageInfo> {
  const key = packageKey(name, version);
  const s = await store(deps);
  const parsed = await streamFileField(
    req,
    (data) => stageObject(deps.nats, BUCKET, data, { idleMs: UPLOAD_IDLE_MS }),
  );
  const staged: Staged | null = parsed.value;
  const refuse = async (msg: string): Promise<never> => {
    if (staged) await purgeChunks(deps.nats, BUCKET, staged.nuid).catch(() => {});
    throw badRequest(msg);
  };
  if (parsed.problem) await refuse(parsed.problem);
  if (parsed.count > 1) await refuse("multipart body has more than one 'file' field");
  if (!staged) return await refuse("missing 'file' field");
  if (staged.size === 0) await refuse("'file' field is empty");

  const { mtime } = await serialized(key, async () => {
    try {
      return await commitObject(deps.nats, BUCKET, key, staged, await s.info(key));
    } catch (e) {
      await purgeChunks(deps.nats, BUCKET, staged.nuid).catch(() => {});
      throw e instanceof DomainError ? e : internal("object commit failed", e);
    }
  });
  const out = describe({ name: key, size: staged.size, digest: staged.digest, mtime });
  await recordAudit(deps.nats, {
    action: "app_package_publish",
    target: key,
    payload: { name, version, size: staged.size, digest: staged.digest },
  }, caller);
  deps.log.info("app package published", { key, size: staged.size });
  return out;
}

/** `DELETE`: 404 when absent; audited. */
export async function deletePackage(
  deps: Deps,
  name: string,
  version: string,
  caller?: Caller | null,
): Promise<void> {
  const info = await packageInfo(deps, name, version);
  await serialized(info.name, () => deleteObject(deps.nats, BUCKET, info));
  await recordAudit(deps.nats, {
    action: "app_package_delete",
    target: info.name,
    payload: { name, version, size: info.size, digest: info.digest || null },
  }, caller);
}

/** Orphaned chunks older than this are purged by the cleanup sweep (well past a stall). */
export const ORPHAN_GRACE_MS = 5 * UPLOAD_IDLE_MS;

/**
 * Cleanup sweep: purges chunk sets of `app_packages` no object names (a process killed
 * mid-upload or before purging replaced bytes). Returns how many sets were purged.
 */
export async function sweepPackageOrphans(
  deps: Deps,
  nowMs = Date.now(),
  graceMs = ORPHAN_GRACE_MS,
): Promise<number> {
  let s: ObjectStore;
  try {
    s = await deps.nats.obj(BUCKET);
  } catch {
    return 0; // no store, nothing to sweep
  }
  // Deleted objects keep their meta (nuid) but not their chunks: they name nothing live.
  const live = new Set((await s.list()).filter((i) => !i.deleted).map((i) => i.nuid));
  const purged = await purgeOrphanChunks(deps.nats, BUCKET, live, nowMs, graceMs);
  if (purged.length) deps.log.info("orphaned app package chunks purged", { sets: purged.length });
  return purged.length;
}
