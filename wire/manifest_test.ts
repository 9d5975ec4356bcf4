import assert from "node:assert/strict";
import { decodeManifest, manifestJsonSchema, parseManifestInput } from "./manifest.ts";
import { manifestJson } from "./manifest_encode.ts";
import { parseHumanSize, validateManifest } from "./manifest_validate.ts";

const BASE = {
  id: "j",
  version: "1",
  execute: { shell: "powershell", script: "x", timeout: "1m" },
};
const withExec = (e: Record<string, unknown>) => ({ ...BASE, execute: { ...BASE.execute, ...e } });

/** Create-boundary refusals with their exact messages. */
const REFUSALS: { name: string; doc: unknown; error: string }[] = [
  {
    name: "no script source",
    doc: withExec({ script: "" }),
    error: "execute: one of `script`, `script_file`, `script_object` must be set",
  },
  {
    name: "two script sources",
    doc: withExec({ script_object: "a/1" }),
    error:
      "execute: only one of `script` / `script_file` / `script_object` may be set (got script=true, script_file=false, script_object=true)",
  },
  {
    name: "three script sources",
    doc: withExec({ script_file: "a.ps1", script_object: "a/1" }),
    error:
      "execute: only one of `script` / `script_file` / `script_object` may be set (got script=true, script_file=true, script_object=true)",
  },
  {
    name: "emit with inventory",
    doc: { ...BASE, emit: { type: "events" }, inventory: { display: [] } },
    error:
      "`emit:` is incompatible with `inventory:` / `check:` — emit's stdout is NDJSON timeline events (and omitted from the result), while inventory/check read a single JSON object from stdout",
  },
  {
    name: "emit with check",
    doc: { ...BASE, emit: { type: "events" }, check: { name: "c" } },
    error:
      "`emit:` is incompatible with `inventory:` / `check:` — emit's stdout is NDJSON timeline events (and omitted from the result), while inventory/check read a single JSON object from stdout",
  },
  {
    name: "collect with check",
    doc: { ...BASE, collect: { name: "c" }, check: { name: "c" } },
    error:
      "`collect:` is incompatible with `inventory:` / `check:` / `emit:` — collect reads its own `files` JSON object from stdout. (It composes with `client:`.)",
  },
  {
    name: "collect with emit",
    doc: { ...BASE, collect: { name: "c" }, emit: { type: "events" } },
    error:
      "`collect:` is incompatible with `inventory:` / `check:` / `emit:` — collect reads its own `files` JSON object from stdout. (It composes with `client:`.)",
  },
  {
    name: "collect with inventory",
    doc: { ...BASE, collect: { name: "c" }, inventory: { display: [] } },
    error:
      "`collect:` is incompatible with `inventory:` / `check:` / `emit:` — collect reads its own `files` JSON object from stdout. (It composes with `client:`.)",
  },
  {
    name: "check.name blank",
    doc: { ...BASE, check: { name: " " } },
    error: "check.name must not be empty",
  },
  {
    name: "check.status_field blank",
    doc: { ...BASE, check: { name: "c", status_field: "" } },
    error: "check.status_field must not be empty",
  },
  {
    name: "check.detail_field blank",
    doc: { ...BASE, check: { name: "c", detail_field: "  " } },
    error: "check.detail_field must not be empty",
  },
  {
    name: "check.troubleshoot blank",
    doc: { ...BASE, check: { name: "c", troubleshoot: "" } },
    error: "check.troubleshoot must not be empty when set",
  },
  {
    name: "check.label blank",
    doc: { ...BASE, check: { name: "c", label: "\t" } },
    error: "check.label must not be empty when set",
  },
  {
    name: "client.name blank",
    doc: { ...BASE, client: { name: "", category: "catalog" } },
    error: "client.name must not be empty",
  },
  {
    name: "client.description blank",
    doc: { ...BASE, client: { name: "n", category: "catalog", description: " " } },
    error: "client.description must not be empty when set",
  },
  {
    name: "client.icon blank",
    doc: { ...BASE, client: { name: "n", category: "catalog", icon: "" } },
    error: "client.icon must not be empty when set",
  },
  {
    name: "collect.name blank",
    doc: { ...BASE, collect: { name: "" } },
    error: "collect.name must not be empty",
  },
  {
    name: "collect.files_field blank",
    doc: { ...BASE, collect: { name: "c", files_field: " " } },
    error: "collect.files_field must not be empty",
  },
  {
    name: "collect.description blank",
    doc: { ...BASE, collect: { name: "c", description: "" } },
    error: "collect.description must not be empty when set",
  },
  {
    name: "collect.max_size unparsable",
    doc: { ...BASE, collect: { name: "c", max_size: "50 parsecs" } },
    error: "collect.max_size: invalid size unit 'parsecs': use B, KB, MB, GB, KiB, MiB or GiB",
  },
  {
    name: "empty tag",
    doc: { ...BASE, tags: ["a", " "] },
    error: "tags must not contain empty entries",
  },
  {
    name: "unknown top-level key",
    doc: { ...BASE, colour: "red" },
    error: "unknown field `colour`",
  },
  {
    name: "unknown nested key with full path",
    doc: { ...BASE, inventory: { display: [{ field: "a", label: "A", wdith: 3 }] } },
    error: "unknown field `inventory.display[0].wdith`",
  },
  {
    name: "unknown execute key (pre-v0.18 jitter)",
    doc: withExec({ jitter: "3s" }),
    error: "unknown field `execute.jitter`",
  },
  {
    name: "retired target",
    doc: { ...BASE, target: { all: true } },
    error:
      "manifest must not contain `target` (since v0.18 these belong to the schedule or the exec request)",
  },
  {
    name: "retired rollout and jitter",
    doc: { ...BASE, rollout: { waves: [] }, jitter: "1m" },
    error:
      "manifest must not contain `rollout`, `jitter` (since v0.18 these belong to the schedule or the exec request)",
  },
  {
    name: "strict staleness without max_cache_age",
    doc: { ...BASE, staleness: { mode: "strict" } },
    error: "staleness.max_cache_age: Invalid input: expected string, received undefined",
  },
  {
    name: "unknown shell",
    doc: withExec({ shell: "bash" }),
    error: 'execute.shell: Invalid option: expected one of "powershell"|"cmd"',
  },
  {
    name: "missing timeout",
    doc: { ...BASE, execute: { shell: "cmd", script: "x" } },
    error: "execute.timeout: Invalid input: expected string, received undefined",
  },
  {
    name: "bad timeout",
    doc: withExec({ timeout: "soon" }),
    error: "invalid execute.timeout: expected number at 0",
  },
  {
    name: "id that is no KV key",
    doc: { ...BASE, id: "has space" },
    error: "id must be non-empty and use only letters, digits and - _ = / . (it is a KV key)",
  },
  {
    name: "not a mapping",
    doc: ["a"],
    error: "manifest must be a mapping (JSON object / YAML map)",
  },
];

for (const c of REFUSALS) {
  Deno.test(`manifest refused: ${c.name}`, () => {
    const r = parseManifestInput(c.doc);
    assert.equal(r.ok, false);
    assert.equal((r as { error: string }).error, c.error);
  });
}

Deno.test("tolerant reader ignores unknown and retired keys (lesson #492)", () => {
  const m = decodeManifest({
    ...BASE,
    target: { all: true },
    aggregate: [{ kind: "x" }],
    execute: { ...BASE.execute, shell: "sh", future: 1 },
  });
  assert.ok(m);
  assert.equal(m.execute.shell, "sh");
  assert.equal(
    manifestJson(m),
    '{"id":"j","version":"1","description":null,"execute":{"shell":"sh","script":"x","timeout":"1m","run_as":"system"},"require_approval":false,"inventory":null,"emit":null,"check":null,"staleness":{"mode":"cached"}}',
  );
  assert.equal(decodeManifest({ id: "x" }), null);
  assert.equal(validateManifest(m), null);
});

Deno.test("human sizes", () => {
  for (
    const [s, n] of [["50MB", 50_000_000], ["1KiB", 1024], ["1000", 1000], [
      "2 GiB",
      2 * 1024 ** 3,
    ]] as const
  ) assert.equal(parseHumanSize(s), n);
  assert.throws(() => parseHumanSize("lots"));
});

Deno.test("JSON schema is generated from the strict schema", () => {
  const s = manifestJsonSchema() as {
    required: string[];
    additionalProperties: boolean;
    properties: Record<string, { properties?: Record<string, { enum?: string[] }> }>;
  };
  assert.deepEqual(s.required.slice(0, 3), ["id", "version", "execute"]);
  assert.equal(s.additionalProperties, false);
  assert.deepEqual(s.properties.execute.properties?.shell.enum, ["powershell", "cmd"]);
});
