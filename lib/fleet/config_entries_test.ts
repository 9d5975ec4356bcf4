import assert from "node:assert/strict";
import { ConfigEntries } from "./config_entries.ts";
import type { KvEntry } from "../kv.ts";

const te = new TextEncoder();
function entry(key: string, operation: "PUT" | "DEL" | "PURGE", revision: number, v = "{}") {
  return { key, operation, revision, value: te.encode(v) } as unknown as KvEntry;
}

Deno.test("ConfigEntries: latest value per key in key order; DEL/PURGE remove; reset empties", () => {
  const c = new ConfigEntries();
  c.apply(entry("pcs.PC-2", "PUT", 1));
  c.apply(entry("global", "PUT", 2));
  c.apply(entry("groups.a", "PUT", 3, '{"a":1}'));
  c.apply(entry("groups.a", "PUT", 4, '{"a":2}'));
  assert.deepEqual(c.keys(), ["global", "groups.a", "pcs.PC-2"]);
  assert.equal(new TextDecoder().decode(c.values()[1].value), '{"a":2}');
  assert.equal(c.values()[1].revision, 4);
  const before = c.changes;
  c.apply(entry("global", "DEL", 5));
  c.apply(entry("pcs.PC-2", "PURGE", 6));
  assert.deepEqual(c.keys(), ["groups.a"]);
  assert.equal(c.changes, before + 2);
  c.reset();
  assert.deepEqual(c.keys(), []);
});
