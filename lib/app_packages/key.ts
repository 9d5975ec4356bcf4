/**
 * App package keys (later.md §6): object `<name>/<version>` in store `app_packages`.
 * Upstream's rules for each part: non-empty, no `/`, ASCII without control characters,
 * no `"` or `\` (the key goes into a Content-Disposition filename). `.` and `..` are
 * refused too, as the CLI does: they cannot travel as one URL segment.
 */
import { badRequest } from "../errors.ts";

export const PART_MAX = 256;

/** Why `v` cannot be a package `what` (name/version), or null. Upstream's texts first. */
export function partProblem(what: string, v: string): string | null {
  if (v === "") return `${what} must be non-empty`;
  if (v.includes("/")) return `${what} must not contain '/'`;
  if (/[^\x20-\x7e]/.test(v)) return `${what} must be ASCII without control characters`;
  if (v.includes('"') || v.includes("\\")) return `${what} must not contain '"' or '\\'`;
  if (v === "." || v === "..") return `${what} must not be '.' or '..'`;
  if (v.length > PART_MAX) return `${what} must be at most ${PART_MAX} characters`;
  return null;
}

export function packageKey(name: string, version: string): string {
  const p = partProblem("name", name) ?? partProblem("version", version);
  if (p) throw badRequest(p);
  return `${name}/${version}`;
}

/** `Content-Disposition` of a download: upstream's `<name>-<version>` file name. */
export function contentDisposition(name: string, version: string): string {
  return `attachment; filename="${name}-${version}"`;
}
