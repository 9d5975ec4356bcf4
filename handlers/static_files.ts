/**
 * The dashboard from `static/`: an exact file hit is served with its MIME type; a miss
 * under `/assets/` is a 404 (never HTML served as JS); any other miss serves
 * `index.html` for client-side routing. Files under `/assets/` are cacheable.
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

async function readFileOrNull(path: string): Promise<Uint8Array | null> {
  try {
    return await Deno.readFile(path);
  } catch {
    return null;
  }
}

export function staticHandler(root: URL = STATIC_ROOT) {
  const rootPath = decodeURIComponent(root.pathname);
  return async (req: Request): Promise<Response> => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("method not allowed", { status: 405 });
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url).pathname);
    } catch {
      return new Response("bad path", { status: 400 });
    }
    const rel = normalize(pathname).replace(/^(\.\.(\/|\\|$))+/, "").replace(/^\/+/, "");
    if (rel.includes("\0") || rel.split("/").includes("..")) {
      return new Response("bad path", { status: 400 });
    }
    const file = rel === "" ? "index.html" : rel;
    const body = await readFileOrNull(join(rootPath, file));
    if (body) {
      const headers: Record<string, string> = {
        "content-type": MIME[extname(file)] ?? "application/octet-stream",
        "x-content-type-options": "nosniff",
      };
      headers["cache-control"] = file.startsWith("assets/")
        ? "public, max-age=31536000, immutable"
        : "no-cache";
      return new Response(req.method === "HEAD" ? null : body as BodyInit, { headers });
    }
    if (file.startsWith("assets/")) return new Response(null, { status: 404 });
    const index = await readFileOrNull(join(rootPath, "index.html"));
    if (!index) return new Response("not found", { status: 404 });
    return new Response(req.method === "HEAD" ? null : index as BodyInit, {
      headers: { "content-type": MIME[".html"], "cache-control": "no-cache" },
    });
  };
}
