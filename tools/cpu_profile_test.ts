import assert from "node:assert/strict";
import { type CpuProfile, selfTimes } from "./cpu_profile.ts";

Deno.test("cpu_profile: self time per function from samples and their time deltas", () => {
  const frame = (functionName: string, url = "file:///x.ts") => ({
    functionName,
    url,
    lineNumber: 0,
  });
  const p: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame("(root)"), children: [2, 3] },
      { id: 2, callFrame: frame("encode") },
      { id: 3, callFrame: frame("decode", "file:///y.ts") },
    ],
    samples: [2, 3, 2, 2, 9],
    timeDeltas: [1000, 500, 2000, 1000, 700],
    startTime: 0,
    endTime: 5200,
  };
  assert.deepEqual(selfTimes(p, (f) => f.functionName), [["encode", 4], ["decode", 0.5]]);
  assert.deepEqual(selfTimes(p, (f) => f.url), [["file:///x.ts", 4], ["file:///y.ts", 0.5]]);
});
