/**
 * Issue #19: results of pre-v0.29 agents carry no result_id; the projection gives them a
 * deterministic one per (request, PC), so a redelivery or a replay finds the same row.
 */
import { createHash } from "node:crypto";

const OID_NAMESPACE = "6ba7b812-9dad-11d1-80b4-00c04fd430c8";

/** RFC 4122 UUIDv5 (SHA-1) of `name` in namespace `ns`. */
export function uuidV5(ns: string, name: string): string {
  const nsBytes = new Uint8Array(ns.replace(/-/g, "").match(/../g)!.map((h) => parseInt(h, 16)));
  const hash = createHash("sha1").update(nsBytes).update(new TextEncoder().encode(name))
    .digest();
  const b = new Uint8Array(hash.subarray(0, 16));
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}

/** The id of a legacy result: a UUIDv5 of its request and PC. */
export function legacyResultId(requestId: string, pcId: string): string {
  return uuidV5(OID_NAMESPACE, `kanade-issue-19/legacy-result-id:${requestId}:${pcId}`);
}
