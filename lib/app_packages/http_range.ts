/**
 * HTTP semantics of a package download, pure: the single byte range of a `Range` header
 * and the `If-Match` / `If-None-Match` / `If-Range` decisions against the strong ETag.
 */

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/**
 * `null` when there is no Range header; `"unsatisfiable"` for anything this server does
 * not serve as one range (malformed, several ranges, start past the end, an empty object);
 * otherwise the range, with an end past the object clamped to its last byte (RFC 9110).
 * `bytes=-N` is the last N bytes.
 */
export function parseRange(
  header: string | null,
  total: number,
): ByteRange | "unsatisfiable" | null {
  if (header === null) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === "" && m[2] === "") || total === 0) return "unsatisfiable";
  if (m[1] === "") {
    const n = Number(m[2]);
    if (!Number.isSafeInteger(n) || n === 0) return "unsatisfiable";
    return { start: Math.max(0, total - n), end: total - 1 };
  }
  const start = Number(m[1]);
  if (!Number.isSafeInteger(start) || start >= total) return "unsatisfiable";
  if (m[2] === "") return { start, end: total - 1 };
  const end = Number(m[2]);
  if (!Number.isSafeInteger(end) || end < start) return "unsatisfiable";
  return { start, end: Math.min(end, total - 1) };
}

/** Entity tags of an `If-Match` / `If-None-Match` list; `*` stands for any. */
export function etagList(header: string): string[] {
  return header.split(",").map((t) => t.trim()).filter(Boolean);
}

/** Strong comparison (If-Match, If-Range): a weak tag never matches. */
function strongMatch(tags: string[], etag: string): boolean {
  return tags.some((t) => t === "*" || (!t.startsWith("W/") && t === etag));
}

/** Weak comparison (If-None-Match). */
function weakMatch(tags: string[], etag: string): boolean {
  const bare = (t: string) => t.startsWith("W/") ? t.slice(2) : t;
  return tags.some((t) => t === "*" || bare(t) === bare(etag));
}

export type Precondition = "ok" | "precondition_failed" | "not_modified";

/** RFC 9110 §13.2.2 order: If-Match first, then If-None-Match (GET/HEAD → 304). */
export function checkPreconditions(
  h: { ifMatch: string | null; ifNoneMatch: string | null },
  etag: string,
): Precondition {
  if (h.ifMatch !== null && !strongMatch(etagList(h.ifMatch), etag)) return "precondition_failed";
  if (h.ifNoneMatch !== null && weakMatch(etagList(h.ifNoneMatch), etag)) return "not_modified";
  return "ok";
}

/** `If-Range` with another validator means "send it all": the Range is ignored. */
export function rangeApplies(ifRange: string | null, etag: string): boolean {
  return ifRange === null || strongMatch([ifRange.trim()], etag);
}
