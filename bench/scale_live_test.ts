import assert from "node:assert/strict";
import { parseServerTiming } from "./scale_live.ts";

Deno.test("parseServerTiming reads each step's duration", () => {
  assert.deepEqual(parseServerTiming("job;dur=1.5, resolve;dur=21.2,publish;desc=x;dur=70"), {
    job: 1.5,
    resolve: 21.2,
    publish: 70,
  });
  assert.deepEqual(parseServerTiming(null), {});
  assert.deepEqual(parseServerTiming("cache, miss;desc=no-dur"), {});
});
