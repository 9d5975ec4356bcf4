/**
 * What the `<name>/<version>` object stores (`scripts`, `app_packages`) show of an
 * object's meta: the key split at its first slash and the mtime in wire form.
 */
import { wireTs } from "../wire/time.ts";

export function splitObjectKey(key: string): { name: string; version: string | null } {
  const slash = key.indexOf("/");
  return slash < 0
    ? { name: key, version: null }
    : { name: key.slice(0, slash), version: key.slice(slash + 1) };
}

/** An object's `mtime` as an RFC 3339 wire timestamp; null when absent or unreadable. */
export function objectModified(mtime: string | undefined | null): string | null {
  try {
    return mtime ? wireTs(mtime) : null;
  } catch {
    return null;
  }
}
