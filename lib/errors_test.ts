import assert from "node:assert/strict";
import * as errors from "./errors.ts";

Deno.test("every domain error class carries its own name, its message and its cause", () => {
  const cause = new Error("root");
  // The concrete classes (the abstract family `RefusedError` is never thrown itself).
  const classes = Object.entries(errors).filter(([name, v]) =>
    typeof v === "function" && v.prototype instanceof errors.DomainError &&
    name !== "RefusedError"
  ) as [string, new (m: string, o?: unknown) => errors.DomainError][];
  assert.ok(classes.length >= 12, `found ${classes.length} classes`);
  for (const [exported, Cls] of classes) {
    const e = new Cls("boom", { cause });
    assert.equal(e.name, exported);
    assert.equal(e.message, "boom");
    assert.equal(String(e), `${exported}: boom`);
  }
  const refused = errors.conflict("taken", cause);
  assert.ok(refused instanceof errors.RefusedError && refused instanceof errors.ConflictError);
  assert.equal(refused.name, "ConflictError");
  assert.equal(refused.cause, cause);
  assert.equal(errors.unavailable("later").cause, undefined);
  assert.ok(!(errors.unavailable("later") instanceof errors.RefusedError));
});
