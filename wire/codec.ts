/**
 * Ordered JSON encoding with upstream serde rules (protocol.md §1): fields are written
 * in declaration order; each field is `req` (always written), `nul` (null-if-absent),
 * `omit` (omit-if-absent), `omitEmpty` (omit when absent, `[]`, or `false`).
 * Decoding is zod's job (schemas live beside each encoder); this module only writes.
 */

export type FieldMode = "req" | "nul" | "omit" | "omitEmpty";
export type FieldSpec = readonly [key: string, mode: FieldMode, encode?: (v: unknown) => unknown];

export function encodeOrdered(spec: readonly FieldSpec[], value: Record<string, unknown>) {
  const out: Record<string, unknown> = {};
  for (const [key, mode, enc] of spec) {
    const v = value[key];
    const absent = v === undefined || v === null;
    if (mode === "omit" && absent) continue;
    if (mode === "omitEmpty" && (absent || v === false || (Array.isArray(v) && v.length === 0))) {
      continue;
    }
    if (absent) {
      out[key] = null;
      continue;
    }
    out[key] = enc ? enc(v) : v;
  }
  return out;
}

/** `JSON.stringify` of an ordered encoding: the exact bytes published on NATS. */
export function toJson(spec: readonly FieldSpec[], value: Record<string, unknown>): string {
  return JSON.stringify(encodeOrdered(spec, value));
}

const te = new TextEncoder();
const td = new TextDecoder();

export function jsonBytes(value: unknown): Uint8Array {
  return te.encode(typeof value === "string" ? value : JSON.stringify(value));
}

/** Decode NATS bytes as JSON; throws SyntaxError on garbage. */
export function parseJsonBytes(data: Uint8Array): unknown {
  return JSON.parse(td.decode(data));
}

export function utf8(data: Uint8Array): string {
  return td.decode(data);
}
