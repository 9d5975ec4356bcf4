/**
 * The one error type of the API. Domain code throws it; `handlers/router.ts` maps it to
 * a JSON body `{error, status}` in a single `onError`. Anything else becomes a 500 with
 * a generic message (no stack, no SQL).
 */

export class ApiError extends Error {
  readonly status: number;
  readonly headers?: Record<string, string>;
  constructor(
    status: number,
    message: string,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, { cause: options?.cause });
    this.name = "ApiError";
    this.status = status;
    this.headers = options?.headers;
  }
}

export const badRequest = (msg: string, cause?: unknown) => new ApiError(400, msg, { cause });
export const unauthorized = (msg: string) => new ApiError(401, msg);
export const forbidden = (msg: string) => new ApiError(403, msg);
export const notFound = (msg: string) => new ApiError(404, msg);
export const conflict = (msg: string) => new ApiError(409, msg);
export const payloadTooLarge = (msg: string) => new ApiError(413, msg);
export const badGateway = (msg: string, cause?: unknown) => new ApiError(502, msg, { cause });
export const unavailable = (msg: string, cause?: unknown) => new ApiError(503, msg, { cause });
export const gatewayTimeout = (msg: string) => new ApiError(504, msg);
export const requestTimeout = (msg: string) => new ApiError(408, msg);

/** Error thrown for a bad configuration value; main.ts prints it as one line and exits. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}
