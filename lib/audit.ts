/**
 * Audit events go to the AUDIT stream (`audit.<actor>.<action>[.<target>]`) through
 * JetStream, so the audit projector records them durably. HTTP callers' `sub` and
 * `X-Kanade-Source` are folded into the payload without overwriting existing keys.
 */
import type { Nats } from "./nats.ts";
import type { Caller } from "./auth.ts";
import { encodeAuditEvent } from "../wire/messages.ts";
import { subjects } from "../wire/names.ts";
import { nowWire, wireTs } from "../wire/time.ts";
import { jsonBytes } from "../wire/codec.ts";
import { log } from "./log.ts";

export interface AuditInput {
  /** Defaults to `operator` for HTTP callers, as later upstream code does. */
  actor?: string;
  action: string;
  target?: string | null;
  payload?: Record<string, unknown> | null;
  /** When it happened (default now); the exec pipeline passes its `initiated_at`. */
  occurredAt?: number | string;
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

/** Longest subject part we build from one value (the full value stays in the event). */
export const AUDIT_TOKEN_MAX = 128;

/**
 * Subject-safe part: wildcards, whitespace and control characters become `_`; dots still
 * separate tokens as upstream does, but empty tokens (`a..b`, a leading or trailing dot)
 * are dropped and each token is capped — an invalid or over-long subject would make the
 * publish fail and the audit event silently disappear (or, past the server's control-line
 * limit, cost the whole connection).
 */
export function auditToken(v: string): string {
  const t = v
    // deno-lint-ignore no-control-regex -- control characters are what is replaced
    .replace(/[\s*>\x00-\x1f\x7f]/g, "_")
    .split(".")
    .filter(Boolean)
    .map((p) => p.slice(0, AUDIT_TOKEN_MAX))
    .slice(0, 8)
    .join(".");
  return t || "_";
}

/**
 * Publishes one audit event and waits for JetStream to store it; throws when it did not.
 * For records others depend on (the exec pipeline's `exec`, which a rebuilt projection
 * recreates the execution from). `msgId` lets JetStream drop a repeat of the same record
 * inside the stream's duplicate window.
 */
export async function publishAudit(
  nats: Nats,
  input: AuditInput,
  caller?: Caller | null,
  opts: { msgId?: string } = {},
): Promise<void> {
  const actor = input.actor ?? "operator";
  const event = encodeAuditEvent({
    actor,
    action: input.action,
    target: input.target ?? null,
    payload: enrichPayload(input.payload, caller),
    occurred_at: input.occurredAt === undefined ? nowWire() : wireTs(input.occurredAt),
  });
  const subject = subjects.audit(
    auditToken(actor),
    auditToken(input.action),
    input.target ? auditToken(input.target) : null,
  );
  await nats.js.publish(subject, jsonBytes(event), opts.msgId ? { msgID: opts.msgId } : undefined);
}

/** Best effort: a failure is logged loudly, never thrown. */
export async function recordAudit(
  nats: Nats,
  input: AuditInput,
  caller?: Caller | null,
  opts: { msgId?: string } = {},
): Promise<void> {
  try {
    await publishAudit(nats, input, caller, opts);
  } catch (e) {
    // An audit failure must not undo the operator's action; it is logged loudly.
    log.error("audit publish failed", { action: input.action, target: input.target, err: e });
  }
}
