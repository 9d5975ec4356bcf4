/**
 * Audit events go to the AUDIT stream (`audit.<actor>.<action>[.<target>]`) through
 * JetStream, so the audit projector records them durably. HTTP callers' `sub` and
 * `X-Kanade-Source` are folded into the payload without overwriting existing keys.
 */
import type { Nats } from "./nats.ts";
import type { Caller } from "./auth.ts";
import { encodeAuditEvent } from "../wire/messages.ts";
import { subjects } from "../wire/names.ts";
import { nowWire } from "../wire/time.ts";
import { jsonBytes } from "../wire/codec.ts";
import { log } from "./log.ts";

export interface AuditInput {
  /** Defaults to `operator` for HTTP callers, as later upstream code does. */
  actor?: string;
  action: string;
  target?: string | null;
  payload?: Record<string, unknown> | null;
}

export function enrichPayload(
  payload: Record<string, unknown> | null | undefined,
  caller?: Caller | null,
) {
  const out: Record<string, unknown> = { ...(payload ?? {}) };
  if (caller) {
    if (!("sub" in out)) out.sub = caller.sub;
    if (!("source" in out)) out.source = caller.source;
  }
  return out;
}

/** Token-safe subject part: dots and wildcards would create or break subject tokens. */
function token(v: string): string {
  return v.replace(/[\s*>]/g, "_") || "_";
}

export async function recordAudit(
  nats: Nats,
  input: AuditInput,
  caller?: Caller | null,
): Promise<void> {
  const actor = input.actor ?? "operator";
  const event = encodeAuditEvent({
    actor,
    action: input.action,
    target: input.target ?? null,
    payload: enrichPayload(input.payload, caller),
    occurred_at: nowWire(),
  });
  const subject = subjects.audit(
    token(actor),
    token(input.action),
    input.target ? token(input.target) : null,
  );
  try {
    await nats.js.publish(subject, jsonBytes(event));
  } catch (e) {
    // An audit failure must not undo the operator's action; it is logged loudly.
    log.error("audit publish failed", { action: input.action, target: input.target, err: e });
  }
}
