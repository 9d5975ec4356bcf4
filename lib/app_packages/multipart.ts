/**
 * Streams the `file` field of a `multipart/form-data` request without buffering it, with
 * busboy (a maintained streaming parser) over the request's web stream. Other fields are
 * read and discarded. The caller's `onFile` consumes the field as a web stream; busboy
 * only reads on as fast as that consumer does, so memory stays bounded at any size.
 */
// @ts-types="npm:@types/busboy@^1.5.4"
import busboy from "busboy";
import { Readable } from "node:stream";
import { badRequest, DomainError } from "../errors.ts";

export const NOT_MULTIPART = "expected a multipart/form-data body with a 'file' field";

export interface FileFieldResult<T> {
  /** What `onFile` returned for the first `file` field, or null when there was none. */
  value: T | null;
  /** How many `file` fields the body had (upstream refuses more than one). */
  count: number;
  /** A parser limit the body broke (too many parts or fields), or null. */
  problem: string | null;
}

export async function streamFileField<T>(
  req: Request,
  onFile: (data: ReadableStream<Uint8Array>) => Promise<T>,
): Promise<FileFieldResult<T>> {
  const ct = req.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data\b/i.test(ct) || !req.body) throw badRequest(NOT_MULTIPART);
  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: { "content-type": ct },
      limits: { fieldSize: 1024 * 1024, fields: 100, parts: 200, headerPairs: 100 },
    });
  } catch (e) {
    throw badRequest(`${NOT_MULTIPART}: ${(e as Error).message}`);
  }
  let count = 0;
  let first: Promise<T> | null = null;
  const active: { file: { destroy(e?: Error): void } | null } = { file: null };
  let problem: string | null = null;

  bb.on("file", (name, file) => {
    if (name !== "file" || ++count > 1) {
      file.resume(); // read and dropped
      return;
    }
    active.file = file;
    first = onFile(Readable.toWeb(file) as unknown as ReadableStream<Uint8Array>);
    first.catch(() => {}); // awaited below; never unhandled meanwhile
  });
  bb.on("partsLimit", () => problem = "multipart body has too many parts");
  bb.on("fieldsLimit", () => problem = "multipart body has too many fields");

  const source = Readable.fromWeb(req.body as import("node:stream/web").ReadableStream);
  const parsed = new Promise<void>((resolve, reject) => {
    bb.on("close", () => resolve());
    bb.on("error", (e) => reject(e));
    source.on("error", (e) => reject(e));
  });
  source.pipe(bb);
  try {
    await parsed;
  } catch (e) {
    // The client went away or the body broke: the field's consumer must see it too.
    active.file?.destroy(e as Error);
    source.destroy();
    if (first) await (first as Promise<T>).catch(() => {});
    const cause = e as Error;
    if (cause instanceof DomainError) throw cause; // e.g. the streamed body cap (413)
    if (/Unexpected end of form|Malformed/i.test(cause?.message ?? "")) {
      throw badRequest(`malformed multipart body: ${cause.message}`);
    }
    throw e;
  }
  const value = first ? await (first as Promise<T>) : null;
  return { value, count, problem };
}
