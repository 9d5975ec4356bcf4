/**
 * The dashboard from `static/`: an exact file hit is served with its MIME type; a miss
 * under `/assets/` is a 404 (never HTML served as JS); any other miss serves
 * `index.html` for client-side routing.
 *
 * Caching: the dashboard has no build step, so most asset names carry no content hash.
 * Those are served `no-cache` with a strong ETag (a revalidation costs one 304, and an
 * upgrade is picked up at once); only names that do carry a hash (`app.3f9a1c2e.js`) are
 * `immutable` for a year. HTML answers carry a strict Content-Security-Policy.
 */
import { extname, join, normalize } from "node:path";

const STATIC_ROOT = new URL("../static/", import.meta.url);

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json",
};

/** Scripts and styles only from this origin; inline `style=""` attributes are allowed. */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** A file name with a content hash segment (8+ hex chars): safe to cache forever. */
export function isHashedAsset(file: string): boolean {
  return file.startsWith("assets/") && /\.[0-9a-f]{8,}\.[a-z0-9]+$/i.test(file);
}

/** `If-None-Match` matches when it lists this ETag (weak comparison) or is `*`. */
export function etagMatches(header: string | null, etag: string): boolean {
  if (!header) return false;
  const bare = etag.replace(/^W\//, "");
  return header.split(",").some((t) => {
    const v = t.trim();
    return v === "*" || v.replace(/^W\//, "") === bare;
  });
}

interface Entry {
  body: Uint8Array;
  etag: string;
  mtime: number;
  size: number;
}

/** Per-process cache keyed by path, invalidated when mtime or size change. */
const cache = new Map<string, Entry>();

async function load(path: string): Promise<Entry | null> {
  let st: Deno.FileInfo;
  try {
    st = await Deno.stat(path);
  } catch {
    return null;
  }
  if (!st.isFile) return null;
  const mtime = st.mtime?.getTime() ?? 0;
  const hit = cache.get(path);
  if (hit && hit.mtime === mtime && hit.size === st.size) return hit;
  let body: Uint8Array;
  try {
    body = await Deno.readFile(path);
  } catch {
    return null;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body as BufferSource));
  const hex = Array.from(digest.subarray(0, 12), (b) => b.toString(16).padStart(2, "0")).join("");
  const entry = { body, etag: `"${hex}"`, mtime, size: st.size };
  cache.set(path, entry);
  return entry;
}

function respond(req: Request, file: string, e: Entry, status = 200): Response {
  const ext = extname(file);
  const headers: Record<string, string> = {
    "content-type": MIME[ext] ?? "application/octet-stream",
    "x-content-type-options": "nosniff",
    "etag": e.etag,
    "cache-control": isHashedAsset(file) ? "public, max-age=31536000, immutable" : "no-cache",
  };
  if (ext === ".html") {
    headers["content-security-policy"] = CSP;
    headers["referrer-policy"] = "no-referrer";
    headers["x-frame-options"] = "DENY";
  }
  if (etagMatches(req.headers.get("if-none-match"), e.etag)) {
    return new Response(null, { status: 304, headers });
  }
  headers["content-length"] = String(e.body.byteLength);
  return new Response(req.method === "HEAD" ? null : e.body as BodyInit, { status, headers });
}

export function staticHandler(root: URL = STATIC_ROOT) {
  const rootPath = decodeURIComponent(root.pathname);
  return async (req: Request): Promise<Response> => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("method not allowed", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url).pathname);
    } catch {
      return new Response("bad path", { status: 400 });
    }
    if (pathname.includes("\0") || pathname.includes("\\")) {
      return new Response("bad path", { status: 400 });
    }
    const rel = normalize(pathname).replace(/^\/+/, "");
    if (rel.split("/").includes("..")) return new Response("bad path", { status: 400 });
    const file = rel === "" ? "index.html" : rel;
    const hit = await load(join(rootPath, file));
    if (hit) return respond(req, file, hit);
    if (file === "assets" || file.startsWith("assets/")) return new Response(null, { status: 404 });
    const index = await load(join(rootPath, "index.html"));
    if (!index) return new Response("not found", { status: 404 });
    return respond(req, "index.html", index);
  };
}
