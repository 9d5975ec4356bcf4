/**
 * Domain errors: one small class per condition, each setting `name` and keeping its
 * `cause`. Services throw them (usually through the factories below) and know nothing of
 * HTTP; `handlers/router.ts` is the one place that maps a class to a status and a JSON
 * body `{error, status}`. Code that decides something from a failure (the scheduler's
 * retry, a wave revert) branches on the class with `instanceof`, never on a status or on
 * message text.
 *
 * Two families:
 * - `RefusedError`: the request, as made, cannot succeed (bad input, unknown id, a
 *   conflict with stored state, no credentials, too big). Repeating it unchanged fails
 *   the same way, so nothing retries it.
 * - everything else: a dependency failed (broker, agent, store). Only `UnavailableError`
 *   says "transient, try again shortly".
 */

/** Base of every domain error. */
export abstract class DomainError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    // Every subclass is named after itself (logs, `toString`) without repeating it.
    this.name = new.target.name;
  }
}

/** The request, as made, cannot succeed: repeating it unchanged fails the same way. */
export abstract class RefusedError extends DomainError {}

/** Input that breaks a rule (shape, range, a reference that must resolve). */
export class ValidationError extends RefusedError {}

/** No usable credentials. */
export class UnauthenticatedError extends RefusedError {}

/** Credentials fine, but the caller's roles do not allow this. */
export class ForbiddenError extends RefusedError {}

/** The thing named does not exist. */
export class NotFoundError extends RefusedError {}

/** The request contradicts stored state (in use, changed concurrently, exists already). */
export class ConflictError extends RefusedError {}

/** A body or upload over its cap. */
export class PayloadTooLargeError extends RefusedError {}

/** A conditional request whose precondition (`If-Match`) names another version. */
export class PreconditionFailedError extends RefusedError {}

/** A byte range of a download that cannot be served; `total` is the object's size. */
export class RangeNotSatisfiableError extends RefusedError {
  readonly total: number;
  constructor(message: string, total: number) {
    super(message);
    this.total = total;
  }
}

/** Too many attempts (sign-in throttling): refused until `retryAfterSecs` have passed. */
export class TooManyRequestsError extends RefusedError {
  /** Whole seconds until a retry may succeed (at least 1). */
  readonly retryAfterSecs: number;
  constructor(message: string, retryAfterSecs = 1) {
    super(message);
    this.retryAfterSecs = Math.max(1, Math.ceil(retryAfterSecs));
  }
}

/** What the request waits for (an agent's answer to a run or a ping) did not come in time. */
export class TimeoutError extends DomainError {}

/** A dependency failed in a way that is neither transient nor the caller's fault. */
export class InternalError extends DomainError {}

/** A peer (an agent, the broker on a publish) refused, failed or answered garbage. */
export class UpstreamError extends DomainError {}

/** A peer relaying for us (an agent fetching its logs) did not answer in time. */
export class UpstreamTimeoutError extends DomainError {}

/** Transient: a store or the broker cannot answer right now; the same request may succeed. */
export class UnavailableError extends DomainError {
  /** Seconds a client should wait before retrying (the router's default when unset). */
  readonly retryAfterSecs?: number;
  constructor(message: string, options?: { cause?: unknown; retryAfterSecs?: number }) {
    super(message, options);
    this.retryAfterSecs = options?.retryAfterSecs;
  }
}

export const badRequest = (msg: string, cause?: unknown) => new ValidationError(msg, { cause });
export const unauthenticated = (msg: string) => new UnauthenticatedError(msg);
export const unauthorized = unauthenticated;
export const forbidden = (msg: string) => new ForbiddenError(msg);
export const notFound = (msg: string) => new NotFoundError(msg);
export const conflict = (msg: string, cause?: unknown) => new ConflictError(msg, { cause });
export const payloadTooLarge = (msg: string) => new PayloadTooLargeError(msg);
export const tooManyRequests = (msg: string, retryAfterSecs: number) =>
  new TooManyRequestsError(msg, retryAfterSecs);
export const requestTimeout = (msg: string) => new TimeoutError(msg);
export const preconditionFailed = (msg: string) => new PreconditionFailedError(msg);
export const rangeNotSatisfiable = (msg: string, total: number) =>
  new RangeNotSatisfiableError(msg, total);
export const internal = (msg: string, cause?: unknown) => new InternalError(msg, { cause });
export const badGateway = (msg: string, cause?: unknown) => new UpstreamError(msg, { cause });
export const unavailable = (msg: string, cause?: unknown) => new UnavailableError(msg, { cause });
export const gatewayTimeout = (msg: string, cause?: unknown) =>
  new UpstreamTimeoutError(msg, { cause });

/** Error thrown for a bad configuration value; main.ts prints it as one line and exits. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}
