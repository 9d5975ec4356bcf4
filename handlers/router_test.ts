import assert from "node:assert/strict";
import * as errors from "../lib/errors.ts";
import { statusOf } from "./router.ts";

Deno.test("statusOf() maps every condition of lib/errors.ts, and only the router does", () => {
  const expected: Record<string, number> = {
    ValidationError: 400,
    UnauthenticatedError: 401,
    ForbiddenError: 403,
    NotFoundError: 404,
    TimeoutError: 408,
    ConflictError: 409,
    PayloadTooLargeError: 413,
    PreconditionFailedError: 412,
    RangeNotSatisfiableError: 416,
    TooManyRequestsError: 429,
    InternalError: 500,
    UpstreamError: 502,
    UnavailableError: 503,
    UpstreamTimeoutError: 504,
  };
  const abstract = new Set(["DomainError", "RefusedError"]);
  const classes = Object.entries(errors).filter(([name, v]) =>
    typeof v === "function" && v.prototype instanceof errors.DomainError && !abstract.has(name)
  );
  // A new condition without a status here fails this test instead of answering 500.
  assert.deepEqual(classes.map(([n]) => n).sort(), Object.keys(expected).sort());
  for (const [name, cls] of classes) {
    const e = new (cls as new (m: string) => errors.DomainError)("m");
    assert.equal(e.name, name, `${name} sets its name`);
    assert.equal(statusOf(e), expected[name], name);
    assert.equal(e.message, "m");
  }
  // A throttle refusal says when to come back (whole seconds, at least 1).
  assert.equal(errors.tooManyRequests("slow down", 0.2).retryAfterSecs, 1);
  assert.ok(errors.tooManyRequests("x", 900) instanceof errors.RefusedError);
  // The factories keep their historic names and give the classes.
  assert.ok(errors.badRequest("x") instanceof errors.ValidationError);
  assert.ok(errors.conflict("x") instanceof errors.ConflictError);
  assert.ok(errors.unavailable("x") instanceof errors.UnavailableError);
  assert.ok(errors.gatewayTimeout("x") instanceof errors.UpstreamTimeoutError);
  // Refusals are the conditions a retry cannot cure.
  assert.ok(errors.notFound("x") instanceof errors.RefusedError);
  assert.ok(!(errors.unavailable("x") instanceof errors.RefusedError));
  assert.ok(errors.preconditionFailed("x") instanceof errors.RefusedError);
  assert.equal(errors.rangeNotSatisfiable("x", 10).total, 10);
  // The cause is kept.
  const cause = new Error("root");
  assert.equal(errors.badGateway("x", cause).cause, cause);
});
