/** Upstream-shaped manifests survive parse → store → read → store byte for byte. */
import assert from "node:assert/strict";
import YAML from "yaml";
import { decodeManifest, parseManifestInput } from "./manifest.ts";
import { manifestJson } from "./manifest_encode.ts";

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
