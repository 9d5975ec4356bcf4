/**
 * Webhook delivery: one JSON POST per attempt with the same body bytes each time, signed
 * with `X-Kanade-Signature: sha256=<hex HMAC-SHA256 of the body>` when the rule has a
 * secret (WebCrypto), an `Idempotency-Key` (the payload's `id`) so a receiver can drop a
 * repeat, and a timeout. Failed attempts are retried with a doubling pause through
 * util/retry.ts while the failure may go away (network error, timeout, 408/425/429/5xx) and
 * the rule's `max_attempts` allow; each attempt is recorded as it ends, so the API shows
 * the attempts and the last error while a delivery is still retrying.
 *
 * Errors are recorded with the URL redacted to its origin: a webhook URL may carry a token.
 */
import { retryWhile } from "../../util/retry.ts";
import { isRetriableStatus } from "./policy.ts";
import { redactUrl, type StoredRule } from "./model.ts";

export interface AttemptOutcome {
  ok: boolean;
  /** The HTTP status, null when no answer came. */
  status: number | null;
  error: string | null;
  retriable: boolean;
}

const enc = new TextEncoder();
/** How much of a refusing receiver's answer is kept in `last_error`. */
const ERROR_BODY_CHARS = 200;

/** Lower-case hex HMAC-SHA256 of `body` under `secret`. */
export async function signBody(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    enc.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(body)));
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The first few hundred characters of an answer, without reading a huge body. */
async function bodyHead(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < 1024) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    /* the answer broke off: what came is enough */
  } finally {
    await reader.cancel().catch(() => {});
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) all.set(c, at), at += c.length;
  return new TextDecoder().decode(all).trim().slice(0, ERROR_BODY_CHARS);
}

function scrub(text: string, url: string): string {
  return text.split(url).join(redactUrl(url));
}

/** One POST; never throws. */
export async function postWebhook(
  webhook: Pick<StoredRule["webhook"], "url" | "secret" | "timeout_ms">,
  body: string,
  headers: Record<string, string>,
  stop?: AbortSignal,
): Promise<AttemptOutcome> {
  const h: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "kanade-backend-alerts",
    ...headers,
  };
  if (webhook.secret) h["x-kanade-signature"] = `sha256=${await signBody(webhook.secret, body)}`;
  try {
    const res = await fetch(webhook.url, {
      method: "POST",
      body,
      headers: h,
      // A redirect could carry the body and signature elsewhere: a 3xx is an answer.
      redirect: "manual",
      signal: stop
        ? AbortSignal.any([AbortSignal.timeout(webhook.timeout_ms), stop])
        : AbortSignal.timeout(webhook.timeout_ms),
    });
    if (res.status >= 200 && res.status < 300) {
      await res.body?.cancel().catch(() => {});
      return { ok: true, status: res.status, error: null, retriable: false };
    }
    const head = await bodyHead(res);
    return {
      ok: false,
      status: res.status,
      error: scrub(`HTTP ${res.status}${head ? `: ${head}` : ""}`, webhook.url),
      retriable: isRetriableStatus(res.status),
    };
  } catch (e) {
    const timedOut = e instanceof DOMException && e.name === "TimeoutError";
    const error = timedOut
      ? `no answer within ${webhook.timeout_ms} ms`
      : scrub(String((e as Error)?.message ?? e), webhook.url);
    return { ok: false, status: null, error, retriable: true };
  }
}

class AttemptFailed extends Error {
  constructor(readonly outcome: AttemptOutcome) {
    super(outcome.error ?? "attempt failed");
  }
}

export interface DeliverOptions {
  /** Attempts already made (a delivery resumed after a restart); default 0. */
  done?: number;
  firstPauseMs: number;
  maxPauseMs: number;
  signal?: AbortSignal;
  /**
   * Told after each attempt with its number (1-based, counting `done`) and outcome; not
   * told of an attempt the stop signal cut short.
   */
  onAttempt(attempt: number, outcome: AttemptOutcome, final: boolean): Promise<void>;
}

/**
 * Delivers one body: attempts until one succeeds, a failure is final, or the rule's
 * `max_attempts` (counting earlier attempts) are used. Returns the last outcome.
 */
export async function deliver(
  rule: Pick<StoredRule, "webhook">,
  body: string,
  idempotencyKey: string,
  event: string,
  opts: DeliverOptions,
): Promise<AttemptOutcome> {
  const done = opts.done ?? 0;
  const left = Math.max(1, rule.webhook.max_attempts - done);
  try {
    return await retryWhile(async (attempt) => {
      const n = done + attempt;
      const outcome = await postWebhook(rule.webhook, body, {
        "idempotency-key": idempotencyKey,
        "x-kanade-delivery": idempotencyKey,
        "x-kanade-event": event,
        "x-kanade-attempt": String(n),
      }, opts.signal);
      // An attempt cut short by a stop is not recorded: the row stays pending for the next
      // leader (same idempotency key), as when only the retries are interrupted.
      if (!outcome.ok && opts.signal?.aborted) throw STOPPED;
      const final = outcome.ok || !outcome.retriable || attempt >= left;
      await opts.onAttempt(n, outcome, final);
      if (!outcome.ok) throw new AttemptFailed(outcome);
      return outcome;
    }, {
      transient: (e) => e instanceof AttemptFailed && e.outcome.retriable,
      maxAttempts: left,
      firstPauseMs: opts.firstPauseMs,
      maxPauseMs: opts.maxPauseMs,
      signal: opts.signal,
    });
  } catch (e) {
    if (e instanceof AttemptFailed) return e.outcome;
    if (e === STOPPED) return { ok: false, status: null, error: "stopped", retriable: true };
    throw e;
  }
}

/** The stop signal ended an attempt (internal to `deliver`). */
const STOPPED = new Error("delivery stopped");
