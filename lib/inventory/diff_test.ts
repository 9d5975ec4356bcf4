import assert from "node:assert/strict";
import { canonicalJson, coerceCell, diffScalars, planExplode } from "./diff.ts";
import { resolveExplodeSpec } from "./spec.ts";

Deno.test("coerceCell() stores what SQLite would, per column kind", async (t) => {
  const cases: [string, Parameters<typeof coerceCell>[0], unknown, unknown][] = [
    ["null", "text", null, null],
    ["missing", "integer", undefined, null],
    ["text keeps strings", "text", "a", "a"],
    ["text stringifies numbers", "text", 1.5, "1.5"],
    ["text stringifies booleans", "text", true, "true"],
    ["text keeps objects as JSON", "text", { a: [1] }, '{"a":[1]}'],
    ["integer keeps numbers", "integer", 42, 42],
    ["integer takes numeric text", "integer", " 7 ", 7],
    ["integer keeps other text", "integer", "v1", "v1"],
    ["integer takes booleans as 1/0", "integer", false, 0],
    ["real keeps numbers", "real", 2.25, 2.25],
    ["real takes exponent text", "real", "1e3", 1000],
  ];
  for (const [name, kind, v, want] of cases) {
    await t.step(name, () => assert.equal(coerceCell(kind, v), want));
  }
});

Deno.test("canonicalJson() ignores key order", () => {
  assert.equal(
    canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] }),
    canonicalJson({ a: [{ c: 2, d: 1 }], b: 1 }),
  );
  assert.notEqual(canonicalJson({ a: 1 }), canonicalJson({ a: "1" }));
});

const r = resolveExplodeSpec({
  field: "apps",
  table: "apps_t",
  primary_key: ["name"],
  columns: [{ field: "name" }, { field: "ver" }, { field: "size", type: "integer" }],
  track_history: true,
});
if (!r.ok) throw new Error(r.error);
const spec = r.spec;

Deno.test("planExplode() diffs by key: added, changed, removed; duplicates collapse to the first", async (t) => {
  const prior = [["a", "1", 10], ["b", "1", 20], ["c", "1", null]];
  const plan = planExplode(spec, [
    { name: "a", ver: "1", size: 10 }, // unchanged
    { name: "b", ver: 2, size: 20 }, // changed (ver "1" → "2")
    { name: "d", ver: "1" }, // added
    { name: "d", ver: "9" }, // duplicate key: ignored
    "junk", // not an object
  ], prior);
  await t.step("rows, and the minimal write set against the prior rows", () => {
    assert.deepEqual(plan.rows, [["a", "1", 10], ["b", "2", 20], ["d", "1", null]]);
    assert.deepEqual(plan.upserts, [["b", "2", 20], ["d", "1", null]]);
    // the stored rows themselves (the caller maps them to their rowids)
    assert.equal(plan.stale.length, 2);
    assert.equal(plan.stale[0], prior[1]);
    assert.equal(plan.stale[1], prior[2]);
    assert.equal(plan.duplicates, 1);
    assert.equal(plan.skippedNonObjects, 1);
  });
  await t.step("events", () => {
    assert.deepEqual(plan.events, [
      {
        field_path: "apps",
        identity_json: '{"name":"b"}',
        change_kind: "changed",
        before_json: '{"name":"b","ver":"1","size":20}',
        after_json: '{"name":"b","ver":"2","size":20}',
      },
      {
        field_path: "apps",
        identity_json: '{"name":"d"}',
        change_kind: "added",
        before_json: null,
        after_json: '{"name":"d","ver":"1","size":null}',
      },
      {
        field_path: "apps",
        identity_json: '{"name":"c"}',
        change_kind: "removed",
        before_json: '{"name":"c","ver":"1","size":null}',
        after_json: null,
      },
    ]);
  });
  await t.step("numeric text equals the stored number (no spurious change)", () => {
    assert.deepEqual(
      planExplode(spec, [{ name: "a", ver: "1", size: "10" }], [["a", "1", 10]]).events,
      [],
    );
  });
  await t.step("a missing or non-array field removes every prior row (#929)", () => {
    for (const incoming of [undefined, null, { name: "a" }, "x"]) {
      const p = planExplode(spec, incoming, prior);
      assert.deepEqual(p.rows, []);
      assert.deepEqual(p.events.map((e) => [e.change_kind, e.identity_json]), [
        ["removed", '{"name":"a"}'],
        ["removed", '{"name":"b"}'],
        ["removed", '{"name":"c"}'],
      ]);
    }
  });
  await t.step("prior rows not read: rows only", () => {
    const p = planExplode(spec, [{ name: "z" }], null);
    assert.deepEqual(p.rows, [["z", null, null]]);
    assert.deepEqual([p.upserts, p.stale, p.events], [[], [], []]);
  });
  await t.step("untracked history: the write set, no events", () => {
    const p = planExplode({ ...spec, trackHistory: false }, [{ name: "z" }], [["y", null, null]]);
    assert.deepEqual(p.upserts, [["z", null, null]]);
    assert.deepEqual(p.stale, [["y", null, null]]);
    assert.deepEqual(p.events, []);
  });
});

Deno.test("diffScalars(): added on first sight, changed on a new value, nothing when missing", () => {
  const fields = ["os", "ram", "gone"];
  assert.deepEqual(
    diffScalars(null, { os: "W10", ram: 8 }, fields).map((
      e,
    ) => [e.change_kind, e.field_path, e.before_json, e.after_json]),
    [
      ["added", "os", null, '{"value":"W10"}'],
      ["added", "ram", null, '{"value":8}'],
    ],
  );
  const prev = { os: "W10", ram: 8, gone: 1, other: 1 };
  assert.deepEqual(
    diffScalars(prev, { os: "W11", ram: 8, other: 2, extra: null }, [...fields, "extra"]).map((
      e,
    ) => [e.change_kind, e.field_path, e.before_json, e.after_json]),
    [
      ["changed", "os", '{"value":"W10"}', '{"value":"W11"}'],
      ["added", "extra", null, '{"value":null}'],
    ],
  );
  assert.deepEqual(diffScalars({ o: { a: 1, b: 2 } }, { o: { b: 2, a: 1 } }, ["o"]), []);
});
