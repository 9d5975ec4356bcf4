/**
 * `script_object` resolution (#210): snapshot the object's digest at exec time and send it
 * as lowercase hex, so an agent refuses bytes re-uploaded mid-rollout.
 */
import type { Deps } from "../deps.ts";
import { internal, notFound, unavailable } from "../errors.ts";
import { isNotFound } from "../nats.ts";
import { OBJECT_STORE } from "../../wire/names.ts";

/** `SHA-256=<base64url, padded or not>` (NATS object digest) → lowercase hex. */
export function digestToHex(digest: string): string {
  const b64 = digest.replace(/^SHA-256=/i, "").replace(/-/g, "+").replace(/_/g, "/")
    .replace(/=+$/, "");
  const padded = b64 + "=".repeat((4 - (b64.length % 4)) % 4);
  const bin = atob(padded);
  let out = "";
  for (let i = 0; i < bin.length; i++) out += bin.charCodeAt(i).toString(16).padStart(2, "0");
  return out;
}

const storeMissing = (cause?: unknown) =>
  unavailable(
    `Object Store '${OBJECT_STORE.scripts}' missing — run \`kanade jetstream setup\``,
    cause,
  );

export async function storeExists(deps: Deps): Promise<boolean> {
  try {
    await deps.nats.jsm.streams.info(`OBJ_${OBJECT_STORE.scripts}`);
    return true;
  } catch (e) {
    return !isNotFound(e);
  }
}

export async function resolveScriptObject(
  deps: Deps,
  key: string,
): Promise<{ key: string; sha256: string }> {
  let store;
  try {
    store = await deps.nats.obj(OBJECT_STORE.scripts);
  } catch (e) {
    throw storeMissing(e);
  }
  let info;
  try {
    info = await store.info(key);
  } catch (e) {
    if (isNotFound(e)) info = null;
    else throw internal(`script_object '${key}': ${(e as Error).message}`, e);
  }
  if (!info || info.deleted) {
    // A cached handle outlives a deleted store: tell "no object" from "no store".
    if (!(await storeExists(deps))) throw storeMissing();
    throw notFound(`script_object '${key}' not found in OBJECT_SCRIPTS`);
  }
  if (!info.digest) {
    throw internal(`script_object '${key}' has no digest metadata`);
  }
  try {
    return { key, sha256: digestToHex(info.digest) };
  } catch (e) {
    throw internal(`decode digest for '${key}': ${(e as Error).message}`, e);
  }
}
