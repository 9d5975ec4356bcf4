/** The stored JSON of a manifest (`jobs[id]`) in upstream's field order (protocol.md §6.1.5). */
import { encodeOrdered, type FieldSpec } from "./codec.ts";
import { encodeCheck, encodeCollect, encodeEmit, encodeStaleness } from "./messages.ts";
import type { Manifest } from "./manifest.ts";

const encodeDisplay = (v: unknown): unknown =>
  encodeOrdered([
    ["field", "req"],
    ["label", "req"],
    ["type", "omit"],
    ["columns", "omit", (c) => (c as unknown[]).map(encodeDisplay)],
  ], v as Record<string, unknown>);

const encodeExplodeColumn = (v: unknown) =>
  encodeOrdered([["field", "req"], ["type", "omit"], ["index", "req"]], {
    index: false,
    ...(v as object),
  });

const encodeExplode = (v: unknown) =>
  encodeOrdered([
    ["field", "req"],
    ["table", "req"],
    ["primary_key", "req"],
    ["columns", "req", (c) => (c as unknown[]).map(encodeExplodeColumn)],
    ["track_history", "req"],
  ], { track_history: false, ...(v as object) });

export const encodeInventory = (v: unknown) =>
  encodeOrdered([
    ["display", "req", (d) => (d as unknown[]).map(encodeDisplay)],
    ["summary", "omit", (d) => (d as unknown[]).map(encodeDisplay)],
    ["explode", "omit", (d) => (d as unknown[]).map(encodeExplode)],
    ["history_scalars", "omit"],
  ], v as Record<string, unknown>);

export const encodeExecute = (v: unknown) =>
  encodeOrdered([
    ["shell", "req"],
    ["script", "omit"],
    ["script_file", "omit"],
    ["script_object", "omit"],
    ["timeout", "req"],
    ["run_as", "req"],
    ["cwd", "omit"],
  ], { run_as: "system", ...(v as object) });

export const encodeClient = (v: unknown) =>
  encodeOrdered([
    ["name", "req"],
    ["description", "omit"],
    ["category", "omit"],
    ["icon", "omit"],
  ], v as Record<string, unknown>);

export const MANIFEST_FIELDS: readonly FieldSpec[] = [
  ["id", "req"],
  ["version", "req"],
  ["description", "nul"],
  ["execute", "req", encodeExecute],
  ["require_approval", "req"],
  ["inventory", "nul", encodeInventory],
  ["emit", "nul", encodeEmit],
  ["check", "nul", encodeCheck],
  ["collect", "omit", encodeCollect],
  ["staleness", "req", encodeStaleness],
  ["client", "omit", encodeClient],
  ["tags", "omitEmpty"],
];

export function encodeManifest(m: Manifest): Record<string, unknown> {
  return encodeOrdered(MANIFEST_FIELDS, {
    ...m,
    require_approval: m.require_approval ?? false,
    staleness: m.staleness ?? { mode: "cached" },
  } as Record<string, unknown>);
}

/** The exact stored bytes (`jobs[id]`). */
export function manifestJson(m: Manifest): string {
  return JSON.stringify(encodeManifest(m));
}
