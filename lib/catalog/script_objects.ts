/**
 * Script bodies in object store `scripts` (#210), keyed `<name>/<version>`. A job with
 * `execute.script_object` sends the key plus the digest; the agent fetches and verifies.
 */
import type { ObjectStore } from "@nats-io/obj";
import { z } from "zod";
import type { Deps } from "../deps.ts";
import type { Caller } from "../auth.ts";
import { badRequest, internal, notFound, payloadTooLarge, unavailable } from "../errors.ts";
import { recordAudit } from "../audit.ts";
import { isNotFound } from "../nats.ts";
import { OBJECT_STORE } from "../../wire/names.ts";
import { WireTimestampSchema } from "../../wire/time.ts";
import { objectModified, splitObjectKey } from "../object_keys.ts";
import { digestToHex } from "../exec/script_source.ts";

export const SCRIPT_OBJECT_MAX_BYTES = 4 * 1024 * 1024;
/** Route body cap: the file plus generous room for the multipart envelope. */
export const SCRIPT_OBJECT_BODY_LIMIT = SCRIPT_OBJECT_MAX_BYTES + 64 * 1024;

/** Printable ASCII only: the object client base64-encodes names with `btoa` (Latin-1). */
const PART_RE = /^[!-.0-[\]-~]{1,128}$/;

/** A `name` or `version` path part: one segment, never `.`/`..`, no spaces or slashes. */
export function checkPart(what: string, v: string): string {
  if (v === "." || v === ".." || !PART_RE.test(v)) {
    throw badRequest(
      `invalid script object ${what} '${v}': one path segment of at most 128 printable ASCII characters, not '.' or '..', without spaces or slashes`,
    );
  }
  return v;
}

export function objectKey(name: string, version: string): string {
  return `${checkPart("name", name)}/${checkPart("version", version)}`;
}

async function store(deps: Deps): Promise<ObjectStore> {
  try {
    return await deps.nats.obj(OBJECT_STORE.scripts);
  } catch (e) {
    throw unavailable(
      `Object Store '${OBJECT_STORE.scripts}' missing — run \`kanade jetstream setup\``,
      e,
    );
  }
}

export const ScriptObjectInfoSchema = z.strictObject({
  key: z.string().meta({ description: "`<name>/<version>`, the object name" }),
  name: z.string(),
  version: z.string().nullable(),
  size: z.number().int(),
  sha256: z.string().nullable().meta({ description: "hex SHA-256 of the body" }),
  modified: WireTimestampSchema.nullable(),
});
export type ScriptObjectInfo = z.infer<typeof ScriptObjectInfoSchema>;

function describe(info: { name: string; size: number; digest?: string; mtime?: string }) {
  let sha256: string | null = null;
  try {
    sha256 = info.digest ? digestToHex(info.digest) : null;
  } catch {
    sha256 = null;
  }
  return {
    key: info.name,
    ...splitObjectKey(info.name),
    size: info.size,
    sha256,
    modified: objectModified(info.mtime),
  };
}

export async function listScriptObjects(deps: Deps): Promise<ScriptObjectInfo[]> {
  let s: ObjectStore;
  try {
    s = await deps.nats.obj(OBJECT_STORE.scripts);
  } catch {
    return []; // a missing store lists as empty, like the other catalog lists
  }
  const infos = (await s.list()).filter((i) => !i.deleted);
  return infos.map(describe).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export async function uploadScriptObject(
  deps: Deps,
  name: string,
  version: string,
  data: Uint8Array,
  caller?: Caller | null,
): Promise<ScriptObjectInfo> {
  const key = objectKey(name, version);
  if (data.byteLength > SCRIPT_OBJECT_MAX_BYTES) {
    throw payloadTooLarge(`script object exceeds ${SCRIPT_OBJECT_MAX_BYTES} bytes`);
  }
  const s = await store(deps);
  let info;
  try {
    info = await s.putBlob({ name: key }, data);
  } catch (e) {
    throw internal(`object put: ${(e as Error).message}`, e);
  }
  const out = describe(info);
  await recordAudit(deps.nats, {
    action: "script_object_upload",
    target: key,
    payload: { key, size: out.size, sha256: out.sha256 },
  }, caller);
  return out;
}

export async function downloadScriptObject(
  deps: Deps,
  name: string,
  version: string,
): Promise<Uint8Array> {
  const key = objectKey(name, version);
  const s = await store(deps);
  let data: Uint8Array | null;
  try {
    data = await s.getBlob(key);
  } catch (e) {
    if (isNotFound(e)) data = null;
    else throw internal(`object get: ${(e as Error).message}`, e);
  }
  if (!data) throw notFound(`script object '${key}' not found`);
  return data;
}

/** Idempotent: deleting an absent object still succeeds. */
export async function deleteScriptObject(
  deps: Deps,
  name: string,
  version: string,
  caller?: Caller | null,
): Promise<{ existed: boolean }> {
  const key = objectKey(name, version);
  const s = await store(deps);
  let existed = true;
  try {
    const info = await s.info(key);
    if (!info || info.deleted) existed = false;
    else await s.delete(key);
  } catch (e) {
    if (isNotFound(e)) existed = false;
    else throw internal(`object delete: ${(e as Error).message}`, e);
  }
  await recordAudit(deps.nats, {
    action: "script_object_delete",
    target: key,
    payload: { key, existed },
  }, caller);
  return { existed };
}
