import assert from "node:assert/strict";
import { ValidationError } from "../errors.ts";
import { filtersSql, identitySql, parseFilterKey, parseSearchFilters } from "./inventory_query.ts";
import { resolveExplodeSpec } from "../inventory/spec.ts";

const r = resolveExplodeSpec({
  field: "apps",
  table: "apps_t",
  primary_key: ["name"],
  columns: [{ field: "name" }, { field: "size", type: "integer" }, { field: "odd__lt" }],
});
if (!r.ok) throw new Error(r.error);
const spec = r.spec;

const status400 = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (e) => e instanceof ValidationError && re.test(e.message));

Deno.test("parseFilterKey(): <col> and <col>__<op>", async (t) => {
  const cols = new Set(["pc_id", "name", "size", "odd__lt"]);
  await t.step(
    "plain key = eq",
    () => assert.deepEqual(parseFilterKey("name", cols), ["name", "eq"]),
  );
  await t.step(
    "op suffix",
    () => assert.deepEqual(parseFilterKey("size__ge", cols), ["size", "ge"]),
  );
  await t.step(
    "a column named like an op stays eq",
    () => assert.deepEqual(parseFilterKey("odd__lt", cols), ["odd__lt", "eq"]),
  );
  await t.step(
    "unknown column",
    () => status400(() => parseFilterKey("nope", cols), /unknown column 'nope'/),
  );
  await t.step(
    "unknown operator",
    () => status400(() => parseFilterKey("size__between", cols), /unknown operator 'between'/),
  );
  await t.step(
    "invalid identifier",
    () => status400(() => parseFilterKey('x"y__eq', cols), /invalid identifier/),
  );
});

Deno.test("filtersSql(): bound values, LIKE escaping, limit/offset not filters", () => {
  const f = parseSearchFilters(spec, [
    ["limit", "5"],
    ["offset", "1"],
    ["name__contains", "50%_off\\"],
    ["name__prefix", "Go"],
    ["name__suffix", "x"],
    ["size__gt", "100"],
    ["size__ne", "3"],
    ["pc_id", "PC1"],
  ]);
  const w = filtersSql(f);
  assert.deepEqual(w.sql, [
    `"name" LIKE ? ESCAPE '\\'`,
    `"name" LIKE ? ESCAPE '\\'`,
    `"name" LIKE ? ESCAPE '\\'`,
    `"size" > ?`,
    `"size" <> ?`,
    `"pc_id" = ?`,
  ]);
  assert.deepEqual(w.args, ["%50\\%\\_off\\\\%", "Go%", "%x", "100", "3", "PC1"]);
});

Deno.test("identitySql(): validated keys, JSON path bound", () => {
  const w = identitySql([["identity.key", "chrome"], ["field", "apps"], [
    "identity.source",
    "hklm",
  ]]);
  assert.equal(w.sql.length, 2);
  assert.deepEqual(w.args, ["$.key", "chrome", "$.source", "hklm"]);
  status400(() => identitySql([["identity.a.b", "x"]]), /invalid identity key 'a.b'/);
  status400(() => identitySql([["identity.", "x"]]), /invalid identity key/);
});
