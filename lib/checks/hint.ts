/**
 * The `check:` hint of a stored manifest as the projection reads it: tolerant (the jobs
 * bucket may hold manifests from other writers), and only for checks that project
 * fleet-wide — `fleet: false` keeps a check client-only (later.md §2).
 */
import { CheckHintSchema } from "../../wire/messages.ts";
import type { CheckHintFacts } from "./extract.ts";

export type { CheckHintFacts } from "./extract.ts";

export function checkHintFacts(raw: unknown): CheckHintFacts | undefined {
  if (raw === undefined || raw === null) return undefined;
  const r = CheckHintSchema.safeParse(raw);
  if (!r.success || !r.data.fleet) return undefined;
  const h = r.data;
  if (!h.name.trim() || !h.status_field.trim() || !h.detail_field.trim()) return undefined;
  return {
    name: h.name,
    label: h.label?.trim() ? h.label : null,
    statusField: h.status_field,
    detailField: h.detail_field,
  };
}
