import assert from "node:assert/strict";
import { encodeObsEvent, ObsEventSchema } from "./obs.ts";

const roundTrip: [string, string][] = [
  [
    "upstream example",
    `{"pc_id":"PC1234","at":"2026-05-28T10:41:00Z","kind":"logon","source":"winlog:Security","event_record_id":"1234567","payload":{"user":"taro","logon_type":2}}`,
  ],
  [
    "null record id and payload",
    `{"pc_id":"PC1","at":"2026-05-28T10:41:00.123Z","kind":"boot","source":"agent:internal","event_record_id":null,"payload":null}`,
  ],
  [
    "array payload, nanos",
    `{"pc_id":"PC1","at":"2026-05-28T10:41:00.123456789Z","kind":"x","source":"a:b","event_record_id":"1","payload":[1,"two",{"3":true}]}`,
  ],
];

Deno.test("ObsEvent decodes and re-encodes byte-identically", async (t) => {
  for (const [name, doc] of roundTrip) {
    await t.step(name, () => {
      const v = ObsEventSchema.parse(JSON.parse(doc));
      assert.equal(JSON.stringify(encodeObsEvent(v)), doc);
    });
  }
});

Deno.test("ObsEvent defaults missing optional keys to null and rejects bad input", async (t) => {
  await t.step("missing record id/payload", () => {
    const v = ObsEventSchema.parse({
      pc_id: "P",
      at: "2026-01-01T00:00:00Z",
      kind: "k",
      source: "s",
    });
    assert.equal(v.event_record_id, null);
    assert.equal(v.payload, null);
    assert.equal(
      JSON.stringify(encodeObsEvent(v)),
      `{"pc_id":"P","at":"2026-01-01T00:00:00Z","kind":"k","source":"s","event_record_id":null,"payload":null}`,
    );
  });
  for (
    const [name, bad] of [
      ["no pc_id", { at: "2026-01-01T00:00:00Z", kind: "k", source: "s" }],
      ["bad at", { pc_id: "P", at: "yesterday", kind: "k", source: "s" }],
      ["kind number", { pc_id: "P", at: "2026-01-01T00:00:00Z", kind: 1, source: "s" }],
    ] as const
  ) {
    await t.step(name, () => assert.equal(ObsEventSchema.safeParse(bad).success, false));
  }
});
