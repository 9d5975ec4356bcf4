/**
 * Agent self-update releases in the `agent_releases` object store (key = version, the name
 * agents fetch for their `target_version`). Publishing takes the version from the binary's
 * PE VERSIONINFO; a non-PE binary (Linux/macOS agent) needs an explicit `version`. The
 * platform is kept in the object's metadata.
 */
import type { ObjectInfo, ObjectStore } from "@nats-io/obj";
import { z } from "zod";
import { OBJECT_STORE } from "../../wire/names.ts";
import { apiTs, WireTimestampSchema } from "../../wire/time.ts";
import { badRequest, conflict, notFound, unavailable } from "../errors.ts";
import type { Nats } from "../nats.ts";
import { isPe, PeError, readPeVersion } from "./pe_version.ts";
import { listScopes } from "./config_store.ts";

/** Release versions become object names and KV values: keep them to a safe alphabet. */
const VERSION_RE = /^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$/;

export function checkVersion(v: string): string {
  const t = v.trim();
  if (!VERSION_RE.test(t)) {
    throw badRequest(
      `invalid version '${v}': 1-64 characters of A-Z a-z 0-9 . _ + - starting with a letter or digit`,
    );
  }
  return t;
}

export const ReleaseRowSchema = z.strictObject({
  version: z.string(),
  platform: z.string().nullable(),
  size: z.number().int(),
  digest: z.string().meta({ description: "the object store's digest (SHA-256=…)" }),
  modified: WireTimestampSchema.nullable(),
});
export type ReleaseRow = z.infer<typeof ReleaseRowSchema>;

async function store(nats: Nats): Promise<ObjectStore> {
  try {
    return await nats.obj(OBJECT_STORE.agentReleases);
  } catch (e) {
    throw unavailable(`object store '${OBJECT_STORE.agentReleases}' is not available`, e);
  }
}

function row(i: ObjectInfo): ReleaseRow {
  return {
    version: i.name,
    platform: i.metadata?.platform ?? null,
    size: i.size,
    digest: i.digest,
    modified: apiTs(i.mtime),
  };
}

/** Newest first (by modification time, then version). */
export async function listReleases(nats: Nats): Promise<ReleaseRow[]> {
  const infos = (await (await store(nats)).list()).filter((i) => !i.deleted);
  return infos.map(row).sort((a, b) =>
    (b.modified ?? "").localeCompare(a.modified ?? "") || b.version.localeCompare(a.version)
  );
}

export async function releaseExists(nats: Nats, version: string): Promise<boolean> {
  const info = await (await store(nats)).info(version);
  return !!info && !info.deleted;
}

/** Pure: platform guessed from the executable's magic bytes. */
export function sniffPlatform(bytes: Uint8Array): "windows" | "linux" | "macos" | null {
  if (isPe(bytes)) return "windows";
  if (bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) {
    return "linux";
  }
  const m = bytes.length >= 4
    ? new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false)
    : 0;
  if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(m)) return "macos";
  return null;
}

/**
 * Pure: the version to publish under. PE binaries: VERSIONINFO (an explicit field must agree
 * with it). Others: the explicit field.
 */
export function resolveReleaseVersion(
  bytes: Uint8Array,
  explicit: string | null,
): { version: string; source: "versioninfo" | "form" } {
  if (isPe(bytes)) {
    let info;
    try {
      info = readPeVersion(bytes);
    } catch (e) {
      if (!(e instanceof PeError)) throw e;
      throw badRequest(`cannot read the PE binary: ${e.message}`);
    }
    if (info) {
      const v = checkVersion(info.version);
      if (explicit && explicit.trim() !== v) {
        throw badRequest(
          `version field '${explicit}' disagrees with the binary's VERSIONINFO '${v}'`,
        );
      }
      return { version: v, source: "versioninfo" };
    }
    if (!explicit) {
      throw badRequest("the PE binary has no VERSIONINFO resource and no version field was given");
    }
  }
  if (!explicit || !explicit.trim()) {
    throw badRequest(
      "not a Windows PE binary: give the release version in the 'version' form field",
    );
  }
  return { version: checkVersion(explicit), source: "form" };
}

export async function publishRelease(
  nats: Nats,
  bytes: Uint8Array,
  opts: { version?: string | null; platform?: string | null; filename?: string | null },
): Promise<
  { version: string; platform: string | null; size: number; digest: string; source: string }
> {
  if (bytes.length === 0) throw badRequest("the uploaded file is empty");
  const { version, source } = resolveReleaseVersion(bytes, opts.version ?? null);
  const platform = opts.platform?.trim() || sniffPlatform(bytes);
  const metadata: Record<string, string> = {};
  if (platform) metadata.platform = platform;
  if (opts.filename) metadata.filename = opts.filename;
  const info = await (await store(nats)).putBlob(
    { name: version, description: `kanade agent ${version}`, metadata },
    bytes,
  );
  return { version, platform: platform ?? null, size: info.size, digest: info.digest, source };
}

/** 409 while any config scope targets the version; 404 when it is not in the store. */
export async function deleteRelease(nats: Nats, version: string): Promise<void> {
  const targeting = (await listScopes(nats)).filter((s) =>
    s.value?.target_version === version || s.legacyTarget === version
  ).map((s) => s.key);
  if (targeting.length) {
    throw conflict(
      `release '${version}' is the target_version of config scope(s) ${
        targeting.join(", ")
      }; roll those to another version first`,
    );
  }
  const os = await store(nats);
  const info = await os.info(version);
  if (!info || info.deleted) throw notFound(`release '${version}' not found`);
  await os.delete(version);
}
