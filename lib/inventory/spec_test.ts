import assert from "node:assert/strict";
import {
  checkStoredTable,
  type ExplodeTableSpec,
  inventorySpecs,
  isIdent,
  quoteIdent,
  resolveExplodeSpec,
  tableDdl,
} from "./spec.ts";

const SW = {
  field: "apps",
  table: "inventory_sw_apps",
  primary_key: ["key", "source"],
  columns: [
    { field: "key", index: false },
    { field: "source", type: "text", index: false },
    { field: "name", type: "text", index: true },
    { field: "size", type: "integer" },
  ],
  track_history: true,
};

Deno.test("isIdent() accepts only [A-Za-z_][A-Za-z0-9_]{0,63}", async (t) => {
  for (const ok of ["a", "_", "A_1", "x".repeat(64)]) {
    await t.step(`ok ${ok.slice(0, 10)}`, () => assert.ok(isIdent(ok)));
  }
  for (const bad of ["", "1a", "a-b", 'a"b', "a b", "x".repeat(65), "é", "a;DROP"]) {
    await t.step(`bad ${JSON.stringify(bad.slice(0, 10))}`, () => {
      assert.ok(!isIdent(bad));
      assert.throws(() => quoteIdent(bad), /must match/);
    });
  }
});

Deno.test("resolveExplodeSpec() checks every name and the key", async (t) => {
  await t.step("a valid spec, defaults applied", () => {
    const r = resolveExplodeSpec(SW);
    assert.ok(r.ok);
    assert.deepEqual(r.spec.columns.map((c) => [c.name, c.kind, c.index]), [
      ["key", "text", false],
      ["source", "text", false],
      ["name", "text", true],
      ["size", "integer", false],
    ]);
    assert.deepEqual(r.spec.primaryKey, ["key", "source"]);
    assert.equal(r.spec.trackHistory, true);
  });
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["bad table", { table: 'x"; DROP TABLE agents; --' }, /invalid table identifier/],
    ["sqlite_ table", { table: "sqlite_master" }, /reserved/],
    ["bad column", { columns: [...SW.columns, { field: "a b" }] }, /invalid column identifier/],
    ["reserved column", { columns: [...SW.columns, { field: "PC_ID" }] }, /reserved/],
    ["duplicate column", { columns: [...SW.columns, { field: "Name" }] }, /duplicate/],
    ["unknown type", { columns: [{ field: "key", type: "blob" }] }, /unknown type 'blob'/],
    ["undeclared pk", { primary_key: ["nope"] }, /not a declared column/],
    ["empty pk", { primary_key: [] }, /at least one/],
    ["pk twice", { primary_key: ["key", "key"] }, /twice/],
    ["no columns", { columns: [] }, /columns/],
  ];
  for (const [name, over, re] of cases) {
    await t.step(name, () => {
      const r = resolveExplodeSpec({ ...SW, ...over });
      assert.ok(!r.ok);
      assert.match(r.error, re);
    });
  }
});

Deno.test("inventorySpecs() keeps the good specs and says why others are left out", () => {
  const s = inventorySpecs({
    display: [],
    explode: [SW, { ...SW, field: "x" }, { ...SW, table: "bad-name" }, "junk"],
    history_scalars: ["os", "os", 3, "ram"],
  });
  assert.deepEqual(s.explode.map((e) => e.table), ["inventory_sw_apps"]);
  assert.equal(s.errors.length, 3);
  assert.match(s.errors[0], /declared twice/);
  assert.deepEqual(s.historyScalars, ["os", "ram"]);
  assert.deepEqual(inventorySpecs(null), { explode: [], historyScalars: [], errors: [] });
});

Deno.test("tableDdl() quotes every name; checkStoredTable() refuses key/type changes", async (t) => {
  const r = resolveExplodeSpec(SW);
  assert.ok(r.ok);
  const spec: ExplodeTableSpec = r.spec;
  await t.step("DDL", () => {
    const ddl = tableDdl(spec);
    assert.match(ddl[0], /CREATE TABLE IF NOT EXISTS "inventory_sw_apps"/);
    assert.match(ddl[0], /PRIMARY KEY \("pc_id", "job_id", "key", "source"\)/);
    assert.match(ddl[0], /"size" INTEGER/);
    assert.deepEqual(ddl.slice(1), [
      'CREATE INDEX IF NOT EXISTS "idx_inventory_sw_apps_name" ON "inventory_sw_apps" ("name")',
    ]);
  });
  const stored = [
    { name: "pc_id", type: "TEXT", pk: 1 },
    { name: "job_id", type: "TEXT", pk: 2 },
    { name: "collected_at", type: "TEXT", pk: 0 },
    { name: "key", type: "TEXT", pk: 3 },
    { name: "source", type: "TEXT", pk: 4 },
    { name: "name", type: "TEXT", pk: 0 },
  ];
  await t.step("a new non-key column is added", () => {
    const c = checkStoredTable(spec, stored);
    assert.ok(c.ok);
    assert.deepEqual(c.addColumns.map((x) => x.name), ["size"]);
  });
  await t.step("a changed key is refused", () => {
    const c = checkStoredTable(spec, stored.map((s) => s.name === "source" ? { ...s, pk: 0 } : s));
    assert.ok(!c.ok);
    assert.match(c.error, /never rebuilt: DROP it/);
  });
  await t.step("a changed type is refused", () => {
    const c = checkStoredTable(spec, [...stored, { name: "size", type: "REAL", pk: 0 }]);
    assert.ok(!c.ok);
    assert.match(c.error, /REAL, the spec wants INTEGER/);
  });
  await t.step("a table without the fixed columns is not an explode table", () => {
    const c = checkStoredTable(spec, stored.filter((s) => s.name !== "collected_at"));
    assert.ok(!c.ok);
    assert.match(c.error, /not an explode table/);
  });
});
