import assert from "node:assert/strict";
import { TIMEOUT, within } from "./within.ts";

Deno.test("within(): the value in time, TIMEOUT after, a rejection as it is; no timer left", async () => {
  assert.equal(await within(Promise.resolve(7), 1_000), 7);
  const never = new Promise<number>(() => {});
  assert.equal(await within(never, 20), TIMEOUT);
  await assert.rejects(within(Promise.reject(new Error("boom")), 1_000), /boom/);
  // Deno's op sanitizer fails the test if a 1 s timer above were still pending.
});
