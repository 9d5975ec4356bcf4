/**
 * A package download as status, headers and a body stream: strong ETag = the digest,
 * `If-Match` → 412, `If-None-Match` → 304, one `Range` → 206, a range that cannot be
 * served → 416 with `Content-Range: bytes *\/total`; HEAD answers the headers only.
 */
import type { Deps } from "../deps.ts";
import { preconditionFailed, rangeNotSatisfiable } from "../errors.ts";
import { OBJECT_STORE } from "../../wire/names.ts";
import { contentDisposition } from "./key.ts";
import { checkPreconditions, parseRange, rangeApplies } from "./http_range.ts";
import { openChunkStream } from "./object_io.ts";
import { packageInfo } from "./store.ts";

export interface DownloadRequest {
  range: string | null;
  ifMatch: string | null;
  ifNoneMatch: string | null;
  ifRange: string | null;
  head: boolean;
}

export interface Download {
  status: number;
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
}

export async function openDownload(
  deps: Deps,
  name: string,
  version: string,
  req: DownloadRequest,
): Promise<Download> {
  const info = await packageInfo(deps, name, version);
  const etag = `"${info.digest}"`;
  const total = info.size;
  const headers = new Headers({
    "etag": etag,
    "accept-ranges": "bytes",
    // Revalidate every time (ETag); never store elsewhere: downloads need a token.
    "cache-control": "private, no-cache",
  });
  if (info.mtime) headers.set("last-modified", new Date(info.mtime).toUTCString());
  const pre = checkPreconditions(req, etag);
  if (pre === "precondition_failed") {
    throw preconditionFailed(`app package '${info.name}' does not match If-Match (now ${etag})`);
  }
  if (pre === "not_modified") return { status: 304, headers, body: null };

  const range = rangeApplies(req.ifRange, etag) ? parseRange(req.range, total) : null;
  if (range === "unsatisfiable") {
    throw rangeNotSatisfiable(
      `range '${req.range}' cannot be served: one range within 0..${total - 1} bytes`,
      total,
    );
  }
  headers.set("content-type", "application/octet-stream");
  headers.set("content-disposition", contentDisposition(name, version));
  const span = range ?? { start: 0, end: total - 1 };
  headers.set("content-length", String(total === 0 ? 0 : span.end - span.start + 1));
  if (range) headers.set("content-range", `bytes ${range.start}-${range.end}/${total}`);
  const status = range ? 206 : 200;
  if (req.head || total === 0) return { status, headers, body: null };
  const body = await openChunkStream(deps.nats, OBJECT_STORE.appPackages, info, span);
  return { status, headers, body };
}
