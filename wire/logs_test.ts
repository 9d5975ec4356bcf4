import assert from "node:assert/strict";
import { decodeLogsRequest, DEFAULT_TAIL_LINES, encodeLogsRequest } from "./logs.ts";

const te = new TextEncoder();

Deno.test("encodeLogsRequest() writes exactly {tail_lines}", () => {
  assert.equal(encodeLogsRequest({ tail_lines: 20 }), '{"tail_lines":20}');
});

Deno.test("decodeLogsRequest() defaults like the agent", async (t) => {
  const cases: [string, number][] = [
    ['{"tail_lines":20}', 20],
    ["{}", DEFAULT_TAIL_LINES],
    ["not json", DEFAULT_TAIL_LINES],
    ['{"tail_lines":-1}', DEFAULT_TAIL_LINES],
    ['{"tail_lines":"x"}', DEFAULT_TAIL_LINES],
    ["[1]", DEFAULT_TAIL_LINES],
    ['{"tail_lines":7,"extra":true}', 7],
  ];
  for (const [input, want] of cases) {
    await t.step(input, () => assert.equal(decodeLogsRequest(te.encode(input)).tail_lines, want));
  }
});
