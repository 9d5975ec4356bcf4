import assert from "node:assert/strict";
import {
  AuditEventSchema,
  CommandSchema,
  encodeAuditEvent,
  encodeCommand,
  encodeEventStarted,
  encodeExecResult,
  encodeHeartbeat,
  EventStartedSchema,
  ExecResultSchema,
  HeartbeatSchema,
} from "./messages.ts";

/** Decode with the schema and re-encode: must give the same bytes as upstream's. */
function roundTrip(
  upstream: string,
  decode: (v: unknown) => unknown,
  encode: (v: never) => unknown,
) {
  const decoded = decode(JSON.parse(upstream));
  assert.equal(JSON.stringify(encode(decoded as never)), upstream);
}

Deno.test("Command: upstream-shaped documents re-encode byte for byte", async (t) => {
  const docs = [
    // protocol.md §4.1, scheduled fire
    `{"id":"cleanup-disk-temp","version":"1.0.1","request_id":"5f0c8a4e-2d7b-4b7e-9a51-0b4f7f2c9e11","exec_id":"3c3c56b3-c83e-4c27-9fa9-4a75e1f5da6f","shell":"powershell","script":"Remove-Item $env:TEMP\\\\* -Recurse -Force","timeout_secs":600,"jitter_secs":30,"run_as":"system","deadline_at":"2026-06-20T01:00:00Z","staleness":{"mode":"cached"},"retry":{"max":3,"backoff_secs":600}}`,
    // protocol.md §4.1, ad-hoc run with null-if-absent fields
    `{"id":"adhoc-run","version":"0.0.0","request_id":"c1d2","exec_id":null,"shell":"cmd","script":"hostname","timeout_secs":60,"jitter_secs":null,"run_as":"system","staleness":{"mode":"cached"}}`,
    // script_object + strict staleness + emit/check/collect hints
    `{"id":"inv","version":"2","request_id":"r","exec_id":"e","shell":"powershell","script":"","script_object":"inv/2","script_object_sha256":"ab12","timeout_secs":60,"jitter_secs":null,"run_as":"user","cwd":"C:\\\\temp","staleness":{"mode":"strict","max_cache_age":"5m"},"emit":{"type":"events","watermark_path":"w.txt"},"check":{"name":"bitlocker","status_field":"status","detail_field":"detail","fleet":true},"collect":{"name":"diag","max_size":"50MB","files_field":"files"}}`,
  ];
  for (const doc of docs) {
    await t.step(
      doc.slice(0, 40),
      () => roundTrip(doc, (v) => CommandSchema.parse(v), encodeCommand),
    );
  }
});

Deno.test("Command: the pre-v0.29 `job_id` spelling decodes as exec_id; unknown keys are ignored", () => {
  const c = CommandSchema.parse({
    id: "a",
    version: "1",
    request_id: "r",
    job_id: "legacy-exec",
    shell: "cmd",
    script: "x",
    timeout_secs: 1,
    future_field: { x: 1 },
  });
  assert.equal(c.exec_id, "legacy-exec");
  assert.equal(c.jitter_secs, null);
  assert.deepEqual(c.staleness, { mode: "cached" });
  assert.equal(c.run_as, "system");
});

Deno.test("Command: strict staleness without max_cache_age is a decode error", () => {
  const r = CommandSchema.safeParse({
    id: "a",
    version: "1",
    request_id: "r",
    shell: "cmd",
    script: "x",
    timeout_secs: 1,
    staleness: { mode: "strict" },
  });
  assert.equal(r.success, false);
});

Deno.test("ExecResult: upstream example re-encodes; legacy empty result_id decodes", () => {
  const doc =
    `{"result_id":"9b2f","request_id":"5f0c8a4e","exec_id":"3c3c56b3","pc_id":"PC1234","exit_code":0,"stdout":"{\\"hostname\\":\\"PC1234\\"}\\n","stderr":"","started_at":"2026-06-20T00:00:05.120Z","finished_at":"2026-06-20T00:00:07.004Z","manifest_id":"inventory-hw"}`;
  roundTrip(doc, (v) => ExecResultSchema.parse(v), encodeExecResult);
  const big =
    `{"result_id":"x","request_id":"r","pc_id":"P","exit_code":-1,"stdout":"","stderr":"timeout after 5s","started_at":"2026-06-20T00:00:05.123456789Z","finished_at":"2026-06-20T00:00:10Z","stdout_object":"r/stdout","manifest_id":"m"}`;
  roundTrip(big, (v) => ExecResultSchema.parse(v), encodeExecResult);
  const legacy = ExecResultSchema.parse({
    request_id: "r",
    pc_id: "P",
    exit_code: 0,
    stdout: "",
    stderr: "",
    started_at: "2026-06-20T00:00:05Z",
    finished_at: "2026-06-20T00:00:05Z",
  });
  assert.equal(legacy.result_id, "");
});

Deno.test("EventStarted, Heartbeat, AuditEvent re-encode byte for byte", () => {
  roundTrip(
    `{"result_id":"9b2f","request_id":"5f0c8a4e","exec_id":"3c3c56b3","pc_id":"PC1234","started_at":"2026-06-20T00:00:05.120Z","manifest_id":"inventory-hw","version":"1.0.0"}`,
    (v) => EventStartedSchema.parse(v),
    encodeEventStarted,
  );
  roundTrip(
    `{"pc_id":"PC1234","at":"2026-06-20T00:00:30Z","agent_version":"0.43.12","hostname":"PC1234","os_family":"windows","agent_cpu_pct":0.3,"agent_rss_bytes":45000000,"agent_disk_read_bytes":1048576,"agent_disk_written_bytes":524288}`,
    (v) => HeartbeatSchema.parse(v),
    encodeHeartbeat,
  );
  roundTrip(
    `{"pc_id":"PC1","at":"2026-06-20T00:00:30Z","agent_version":"0.43.12"}`,
    (v) => HeartbeatSchema.parse(v),
    encodeHeartbeat,
  );
  roundTrip(
    `{"actor":"operator","action":"exec","target":"inventory-hw","payload":{"exec_id":"e","version":"1","target_count":3,"subjects":["commands.all"],"wave_mode":false},"occurred_at":"2026-06-20T00:00:30.5Z"}`
      .replace("30.5Z", "30.500Z"),
    (v) => AuditEventSchema.parse(v),
    encodeAuditEvent,
  );
});
