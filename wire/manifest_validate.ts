/** The semantic rules of a manifest (protocol.md §6.1.4), with upstream's messages. */
import { durationError } from "./duration.ts";
import type { Execute, Manifest } from "./manifest.ts";

const SIZE_RE = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/;
const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1_000,
  mb: 1_000_000,
  gb: 1_000_000_000,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** Human size (`50MB`, `4KiB`, `1000`) to bytes; throws with a message on error. */
export function parseHumanSize(s: string): number {
  const m = SIZE_RE.exec(s);
  if (!m) throw new Error(`invalid size '${s}': expected a byte count or a number with a unit`);
  const mult = SIZE_UNITS[m[2].toLowerCase()];
  if (mult === undefined) {
    throw new Error(`invalid size unit '${m[2]}': use B, KB, MB, GB, KiB, MiB or GiB`);
  }
  return Math.floor(Number(m[1]) * mult);
}

const blank = (s: string | null | undefined) => typeof s === "string" && s.trim() === "";
const present = (v: unknown) => v !== undefined && v !== null;

/** KV keys allow `[-/_=.A-Za-z0-9]`, no leading/trailing dot (a bad id would 500 on put). */
const MANIFEST_ID_RE = /^[-/_=A-Za-z0-9]([-/_=.A-Za-z0-9]*[-/_=A-Za-z0-9])?$/;

/** A job id usable as a KV key (path parameters are checked with this too). */
export function isValidJobId(id: string): boolean {
  return id.length <= 256 && MANIFEST_ID_RE.test(id) && !id.includes("..");
}

/** Upstream's `execute.validate_script_source()`: exactly one script source. */
export function validateScriptSource(e: Pick<Execute, "script" | "script_file" | "script_object">) {
  const script = typeof e.script === "string" && e.script !== "";
  const file = present(e.script_file);
  const object = present(e.script_object);
  const n = [script, file, object].filter(Boolean).length;
  if (n === 0) return "execute: one of `script`, `script_file`, `script_object` must be set";
  if (n > 1) {
    return `execute: only one of \`script\` / \`script_file\` / \`script_object\` may be set (got script=${script}, script_file=${file}, script_object=${object})`;
  }
  return null;
}

/** Every create-time rule; returns the first violated rule's message, or null. */
export function validateManifest(m: Manifest): string | null {
  if (!isValidJobId(m.id)) {
    return "id must be non-empty and use only letters, digits and - _ = / . (it is a KV key)";
  }
  if (m.version.trim() === "") return "version must not be empty";
  const src = validateScriptSource(m.execute);
  if (src) return src;
  const t = durationError(m.execute.timeout);
  if (t) return `invalid execute.timeout: ${t}`;
  if (m.staleness.mode === "strict") {
    const e = durationError(m.staleness.max_cache_age);
    if (e) return `invalid staleness.max_cache_age: ${e}`;
  }
  if (present(m.emit) && (present(m.inventory) || present(m.check))) {
    return "`emit:` is incompatible with `inventory:` / `check:` — emit's stdout is NDJSON timeline events (and omitted from the result), while inventory/check read a single JSON object from stdout";
  }
  if (present(m.collect) && (present(m.inventory) || present(m.check) || present(m.emit))) {
    return "`collect:` is incompatible with `inventory:` / `check:` / `emit:` — collect reads its own `files` JSON object from stdout. (It composes with `client:`.)";
  }
  if (m.check) {
    const c = m.check;
    if (c.name.trim() === "") return "check.name must not be empty";
    if (c.status_field.trim() === "") return "check.status_field must not be empty";
    if (c.detail_field.trim() === "") return "check.detail_field must not be empty";
    if (blank(c.troubleshoot)) return "check.troubleshoot must not be empty when set";
    if (blank(c.label)) return "check.label must not be empty when set";
  }
  if (m.client) {
    const c = m.client;
    if (c.name.trim() === "") return "client.name must not be empty";
    if (blank(c.description)) return "client.description must not be empty when set";
    if (blank(c.icon)) return "client.icon must not be empty when set";
  }
  if (m.collect) {
    const c = m.collect;
    if (c.name.trim() === "") return "collect.name must not be empty";
    if (c.files_field.trim() === "") return "collect.files_field must not be empty";
    if (blank(c.description)) return "collect.description must not be empty when set";
    if (present(c.max_size)) {
      try {
        parseHumanSize(c.max_size as string);
      } catch (e) {
        return `collect.max_size: ${(e as Error).message}`;
      }
    }
  }
  if (m.tags?.some((t) => t.trim() === "")) return "tags must not contain empty entries";
  return null;
}
