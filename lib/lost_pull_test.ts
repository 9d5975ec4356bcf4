import assert from "node:assert/strict";
import { pullLost } from "./lost_pull.ts";

Deno.test("pullLost(): a backlog, a quiet projector and no pull on the broker; nothing less", () => {
  const cases: [number, number, number, boolean, string][] = [
    // num_pending, num_waiting, idle ms, lost?, why
    [5, 0, 5_000, true, "backlog, no pull, quiet long enough"],
    [5, 0, 4_999, false, "not quiet long enough"],
    [5, 1, 60_000, false, "a pull is waiting: the broker will deliver"],
    [0, 0, 60_000, false, "nothing to deliver"],
    [0, 1, 60_000, false, "an idle consume"],
  ];
  for (const [pending, waiting, idle, want, why] of cases) {
    assert.equal(
      pullLost({ num_pending: pending, num_waiting: waiting }, idle, 5_000),
      want,
      why,
    );
  }
});
