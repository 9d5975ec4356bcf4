/**
 * Request/reply with one agent over core NATS: ping (`agents.<pc>.ping`, reply = a
 * Heartbeat) and log fetch (`logs.fetch.<pc>`, reply = raw UTF-8 text).
 */
import { z } from "zod";
import { HeartbeatSchema } from "../../wire/messages.ts";
import { subjects } from "../../wire/names.ts";
import { encodeLogsRequest } from "../../wire/logs.ts";
import { parseJsonBytes } from "../../wire/codec.ts";
import { badGateway, DomainError, gatewayTimeout, requestTimeout } from "../errors.ts";
import type { Nats } from "../nats.ts";
import { withTimeout } from "../../util/retry.ts";

export const PING_DEFAULT_WAIT_SECS = 45;
export const PING_MAX_WAIT_SECS = 120;
export const LOGS_TIMEOUT_MS = 10_000;
export const LOGS_DEFAULT_TAIL = 500;
export const LOGS_MAX_TAIL = 100_000;

/** `POST /api/agents/{pc_id}/ping`: the agent's heartbeat as it sent it (later fields kept). */
export const PingAnswerSchema = z.strictObject({
  heartbeat: HeartbeatSchema.loose(),
});

type RequestFailure = "timeout" | "no_responders" | "other";

function classify(e: unknown): RequestFailure {
  const err = e as { name?: string; message?: string; cause?: { name?: string } };
  if (err?.name === "TimeoutError" || err?.cause?.name === "TimeoutError") return "timeout";
  if (err?.cause?.name === "NoResponders" || /no responders/i.test(String(err?.message))) {
    return "no_responders";
  }
  if (/timeout/i.test(String(err?.message))) return "timeout";
  return "other";
}

function asHeartbeat(pcId: string, data: Uint8Array, how: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = parseJsonBytes(data);
  } catch (e) {
    throw badGateway(`agent '${pcId}' answered the ${how} with invalid JSON`, e);
  }
  if (!HeartbeatSchema.safeParse(body).success) {
    throw badGateway(`agent '${pcId}' answered the ${how} with a non-heartbeat`);
  }
  // Pass the agent's object through unchanged: later agents add fields the SPA may show.
  return body as Record<string, unknown>;
}

/**
 * Ask the agent for a fresh heartbeat: a request on `agents.<pc>.ping` (v0.38+). When no
 * agent subscribes (an agent older than v0.38, or one that is offline) the answer is the
 * next `heartbeat.<pc>` within the same wait, as core upstream did. 408 when neither comes.
 */
export async function pingAgent(
  nats: Nats,
  pcId: string,
  waitSecs: number,
): Promise<{ heartbeat: Record<string, unknown> }> {
  const deadline = Date.now() + waitSecs * 1000;
  // Subscribed before the request so a beat sent meanwhile is not missed.
  const beats = nats.nc.subscribe(subjects.heartbeat(pcId), { max: 1 });
  try {
    try {
      const reply = await nats.nc.request(subjects.ping(pcId), new Uint8Array(0), {
        timeout: waitSecs * 1000,
      });
      return { heartbeat: asHeartbeat(pcId, reply.data, "ping") };
    } catch (e) {
      if (e instanceof DomainError) throw e;
      const kind = classify(e);
      if (kind === "timeout") {
        throw requestTimeout(`agent '${pcId}' did not answer the ping within ${waitSecs}s`);
      }
      if (kind !== "no_responders") {
        throw badGateway(`ping request failed: ${(e as Error).message}`, e);
      }
    }
    const next = (async () => {
      for await (const m of beats) return m.data;
      return null;
    })();
    const data = await withTimeout(next, Math.max(0, deadline - Date.now()));
    if (!data) {
      throw requestTimeout(
        `agent '${pcId}' is not connected: no ping responder and no heartbeat within ${waitSecs}s`,
      );
    }
    return { heartbeat: asHeartbeat(pcId, data, "heartbeat") };
  } finally {
    beats.unsubscribe();
  }
}

/** Fetch the tail of the agent's log as text. 504 timeout, 502 any other request error. */
export async function fetchAgentLogs(
  nats: Nats,
  pcId: string,
  tailLines: number,
  timeoutMs = LOGS_TIMEOUT_MS,
): Promise<Uint8Array> {
  try {
    const reply = await nats.nc.request(
      subjects.logsFetch(pcId),
      new TextEncoder().encode(encodeLogsRequest({ tail_lines: tailLines })),
      { timeout: timeoutMs },
    );
    return reply.data;
  } catch (e) {
    const kind = classify(e);
    if (kind === "timeout") {
      throw gatewayTimeout(`agent '${pcId}' did not return its logs within ${timeoutMs / 1000}s`);
    }
    if (kind === "no_responders") {
      throw badGateway(`agent '${pcId}' is not connected (no responders on logs.fetch)`, e);
    }
    throw badGateway(`logs request failed: ${(e as Error).message}`, e);
  }
}
