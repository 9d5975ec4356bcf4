import assert from "node:assert/strict";
import YAML from "yaml";
import {
  decodeManifest,
  manifestJson,
  manifestJsonSchema,
  parseHumanSize,
  parseManifestInput,
  validateManifest,
} from "./manifest.ts";

/** Operator YAML (upstream-shaped, clients.md §1.4) → the exact stored JSON. */
const ROUND_TRIPS: { name: string; yaml: string; json: string }[] = [
  {
    name: "protocol.md §6.1.5 inventory-hw",
    yaml: `id: inventory-hw
version: 1.2.0
description: Hardware facts
execute:
  shell: powershell
  script: |
    @{ hostname = $env:COMPUTERNAME } | ConvertTo-Json
  timeout: 60s
inventory:
  display:
    - { field: hostname, label: Hostname }
    - { field: ram_bytes, label: RAM, type: bytes }
staleness: { mode: strict, max_cache_age: 5m }
`,
    json:
      '{"id":"inventory-hw","version":"1.2.0","description":"Hardware facts","execute":{"shell":"powershell","script":"@{ hostname = $env:COMPUTERNAME } | ConvertTo-Json\\n","timeout":"60s","run_as":"system"},"require_approval":false,"inventory":{"display":[{"field":"hostname","label":"Hostname"},{"field":"ram_bytes","label":"RAM","type":"bytes"}]},"emit":null,"check":null,"staleness":{"mode":"strict","max_cache_age":"5m"}}',
  },
  {
    name: "minimal echo-test: defaults written, nulls kept",
    yaml: "id: echo-test\nversion: 0.0.1\nexecute: {shell: cmd, script: echo hi, timeout: 30s}\n",
    json:
      '{"id":"echo-test","version":"0.0.1","description":null,"execute":{"shell":"cmd","script":"echo hi","timeout":"30s","run_as":"system"},"require_approval":false,"inventory":null,"emit":null,"check":null,"staleness":{"mode":"cached"}}',
  },
  {
    name: "urgent-patch: strict staleness 0s, run_as user, cwd",
    yaml: `id: urgent-patch
version: "3"
execute:
  shell: powershell
  script: Install-Patch
  timeout: 5m
  run_as: user
  cwd: C:\\Windows
staleness:
  mode: strict
  max_cache_age: 0s
`,
    json:
      '{"id":"urgent-patch","version":"3","description":null,"execute":{"shell":"powershell","script":"Install-Patch","timeout":"5m","run_as":"user","cwd":"C:\\\\Windows"},"require_approval":false,"inventory":null,"emit":null,"check":null,"staleness":{"mode":"strict","max_cache_age":"0s"}}',
  },
  {
    name: "install-kanade-backend: script_object + require_approval",
    yaml: `id: install-kanade-backend
version: 0.43.0
execute:
  shell: powershell
  script_object: deploy-backend/0.43.0
  timeout: 300s
  run_as: system
require_approval: true
`,
    json:
      '{"id":"install-kanade-backend","version":"0.43.0","description":null,"execute":{"shell":"powershell","script_object":"deploy-backend/0.43.0","timeout":"300s","run_as":"system"},"require_approval":true,"inventory":null,"emit":null,"check":null,"staleness":{"mode":"cached"}}',
  },
  {
    name: "inventory-sw: nested table columns, summary, explode, history_scalars",
    yaml: `id: inventory-sw
version: 1.0.0
execute: { shell: powershell, script: Get-Apps, timeout: 120s }
inventory:
  display:
    - field: apps
      label: Apps
      type: table
      columns:
        - { field: name, label: Name }
        - { field: version, label: Version }
  summary:
    - { field: app_count, label: Apps, type: number }
  explode:
    - field: apps
      table: inventory_sw_apps
      primary_key: [key, source]
      track_history: true
      columns:
        - { field: key, type: text, index: true }
        - { field: size, type: integer }
        - { field: note }
  history_scalars: [os_version]
`,
    json:
      '{"id":"inventory-sw","version":"1.0.0","description":null,"execute":{"shell":"powershell","script":"Get-Apps","timeout":"120s","run_as":"system"},"require_approval":false,"inventory":{"display":[{"field":"apps","label":"Apps","type":"table","columns":[{"field":"name","label":"Name"},{"field":"version","label":"Version"}]}],"summary":[{"field":"app_count","label":"Apps","type":"number"}],"explode":[{"field":"apps","table":"inventory_sw_apps","primary_key":["key","source"],"columns":[{"field":"key","type":"text","index":true},{"field":"size","type":"integer","index":false},{"field":"note","index":false}],"track_history":true}],"history_scalars":["os_version"]},"emit":null,"check":null,"staleness":{"mode":"cached"}}',
  },
  {
    name: "check-bitlocker: tags, check defaults, check + inventory compose",
    yaml: `id: check-bitlocker
version: 1.0.0
tags: [security, disk]
execute: { shell: powershell, script: Get-BitLocker, timeout: 30s, run_as: system }
check:
  name: bitlocker
  label: BitLocker
inventory:
  display: [{ field: volumes, label: Volumes, type: table }]
`,
    json:
      '{"id":"check-bitlocker","version":"1.0.0","description":null,"execute":{"shell":"powershell","script":"Get-BitLocker","timeout":"30s","run_as":"system"},"require_approval":false,"inventory":{"display":[{"field":"volumes","label":"Volumes","type":"table"}]},"emit":null,"check":{"name":"bitlocker","label":"BitLocker","status_field":"status","detail_field":"detail","fleet":true},"staleness":{"mode":"cached"},"tags":["security","disk"]}',
  },
  {
    name: "collect-winlog-events: emit with watermark",
    yaml: `id: collect-winlog-events
version: 0.4.0
execute: { shell: powershell, script: Get-Events, timeout: 60s }
emit: { type: events, watermark_path: C:/ProgramData/kanade/wm.json }
`,
    json:
      '{"id":"collect-winlog-events","version":"0.4.0","description":null,"execute":{"shell":"powershell","script":"Get-Events","timeout":"60s","run_as":"system"},"require_approval":false,"inventory":null,"emit":{"type":"events","watermark_path":"C:/ProgramData/kanade/wm.json"},"check":null,"staleness":{"mode":"cached"}}',
  },
  {
    name: "collect-diagnostics: collect + client, empty tags omitted",
    yaml: `id: collect-diagnostics
version: 1.0.0
tags: []
execute: { shell: powershell, script: Collect, timeout: 180s }
collect: { name: diagnostics, description: Logs, max_size: 50MB }
client: { name: Collect diagnostics, category: troubleshoot }
require_approval: true
`,
    json:
      '{"id":"collect-diagnostics","version":"1.0.0","description":null,"execute":{"shell":"powershell","script":"Collect","timeout":"180s","run_as":"system"},"require_approval":true,"inventory":null,"emit":null,"check":null,"collect":{"name":"diagnostics","description":"Logs","max_size":"50MB","files_field":"files"},"staleness":{"mode":"cached"},"client":{"name":"Collect diagnostics","category":"troubleshoot"}}',
  },
];

for (const c of ROUND_TRIPS) {
  Deno.test(`manifest round trip: ${c.name}`, () => {
    const r = parseManifestInput(YAML.parse(c.yaml));
    assert.ok(r.ok, r.ok ? "" : r.error);
    assert.equal(manifestJson(r.value), c.json);
    // The stored JSON reads back (tolerant reader) and re-encodes byte for byte.
    const back = decodeManifest(JSON.parse(c.json));
    assert.ok(back);
    assert.equal(manifestJson(back), c.json);
  });
}

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
