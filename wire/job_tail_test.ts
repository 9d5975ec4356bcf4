import assert from "node:assert/strict";
import {
  decodeJobTailReply,
  encodeJobTailReply,
  encodeJobTailRequest,
  JobTailReplySchema,
  JobTailRequestSchema,
} from "./job_tail.ts";

Deno.test("JobTailRequest round-trips and defaults", async (t) => {
  for (
    const [name, doc, want] of [
      ["full", `{"result_id":"abc"}`, `{"result_id":"abc"}`],
      ["empty object defaults", `{}`, `{"result_id":""}`],
    ]
  ) {
    await t.step(name, () => {
      const v = JobTailRequestSchema.parse(JSON.parse(doc));
      assert.equal(JSON.stringify(encodeJobTailRequest(v)), want);
    });
  }
});

Deno.test("JobTailReply round-trips byte-identically", async (t) => {
  for (
    const doc of [
      `{"found":true,"running":true,"stdout":"line1\\nline2","stderr":"","stdout_truncated":false,"stderr_truncated":false}`,
      `{"found":false,"running":false,"stdout":"","stderr":"","stdout_truncated":false,"stderr_truncated":false}`,
      `{"found":true,"running":false,"stdout":"tail","stderr":"err","stdout_truncated":true,"stderr_truncated":true}`,
    ]
  ) {
    await t.step(doc.slice(0, 40), () => {
      assert.equal(
        JSON.stringify(encodeJobTailReply(JobTailReplySchema.parse(JSON.parse(doc)))),
        doc,
      );
    });
  }
});

Deno.test("decodeJobTailReply degrades garbage to not-found", async (t) => {
  const te = new TextEncoder();
  for (
    const [name, raw, found] of [
      ["garbage", "not json", false],
      ["wrong types", `{"found":"yes"}`, false],
      ["partial", `{"found":true}`, true],
    ] as const
  ) {
    await t.step(name, () => assert.equal(decodeJobTailReply(te.encode(raw)).found, found));
  }
});
