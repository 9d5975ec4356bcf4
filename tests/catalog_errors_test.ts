/**
 * Every 4xx path of the catalog / exec / run / script-object routes, with its message,
 * and a garbage sweep proving that bad input never produces a 500.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend } from "./helpers/backend.ts";
import { BUCKET, OBJECT_STORE } from "../wire/names.ts";
import { NO_TARGET_MESSAGE } from "../lib/exec/dispatch.ts";
import { checkPart } from "../lib/catalog/script_objects.ts";

async function expectError(
  be: TestBackend,
  method: string,
  path: string,
  body: BodyInit | undefined,
  status: number,
  message: string | RegExp,
  contentType = "application/json",
) {
  const res = await be.request(path, {
    method,
    headers: body === undefined ? {} : { "content-type": contentType },
    body,
  });
  const text = await res.text();
  assert.equal(res.status, status, `${method} ${path}: ${text}`);
  const err = JSON.parse(text) as { error: string; status: number };
  assert.equal(err.status, status);
  if (typeof message === "string") assert.equal(err.error, message);
  else assert.match(err.error, message);
}

const JOB = {
  id: "hello",
  version: "1.0.0",
  execute: { shell: "cmd", script: "echo", timeout: "1m" },
};

Deno.test("catalog and exec 4xx paths carry their messages", async (t) => {
  const be = await startTestBackend();
  const j = (v: unknown) => JSON.stringify(v);
  try {
    await be.json("POST", "/api/jobs", JOB);

    await t.step("POST /api/jobs", async () => {
      await expectError(be, "POST", "/api/jobs", "{", 400, /^invalid JSON: /);
      await expectError(be, "POST", "/api/jobs", "", 400, "request body is empty");
      await expectError(be, "POST", "/api/jobs", "id: [", 400, /^invalid YAML: /, "text/yaml");
      const inventory = (table: string, primary_key: string[]) => ({
        display: [],
        explode: [{ field: "apps", table, primary_key, columns: [{ field: "name" }] }],
      });
      await expectError(
        be,
        "POST",
        "/api/jobs",
        j({ ...JOB, inventory: inventory("bad-name", ["name"]) }),
        400,
        /^inventory: explode "bad-name": invalid table identifier/,
      );
      await expectError(
        be,
        "POST",
        "/api/jobs",
        j({ ...JOB, inventory: inventory("apps", ["version"]) }),
        400,
        /^inventory: explode "apps": .*version/,
      );
      await expectError(
        be,
        "POST",
        "/api/jobs",
        "id: a\nversion: '1'\nexecute: {shell: cmd, script: x, timeout: 1m, foo: 1}\n",
        400,
        "unknown field `execute.foo`",
        "application/x-yaml",
      );
      await expectError(
        be,
        "POST",
        "/api/jobs",
        j({ ...JOB, target: { all: true } }),
        400,
        "manifest must not contain `target` (since v0.18 these belong to the schedule or the exec request)",
      );
      await expectError(
        be,
        "POST",
        "/api/jobs",
        j({ ...JOB, execute: { ...JOB.execute, script_file: "a.ps1" } }),
        400,
        "execute: only one of `script` / `script_file` / `script_object` may be set (got script=true, script_file=true, script_object=false)",
      );
      await expectError(
        be,
        "POST",
        "/api/jobs",
        j([JOB]),
        400,
        "manifest must be a mapping (JSON object / YAML map)",
      );
      await expectError(
        be,
        "POST",
        "/api/jobs",
        j({ ...JOB, check: { name: "c", label: " " } }),
        400,
        "check.label must not be empty when set",
      );
    });

    await t.step("GET /api/jobs/:id/yaml and bad ids", async () => {
      await expectError(be, "GET", "/api/jobs/nope/yaml", undefined, 404, "job 'nope' not found");
      await expectError(
        be,
        "GET",
        "/api/jobs/a%20b/yaml",
        undefined,
        400,
        "invalid job id 'a b': use letters, digits and - _ = / .",
      );
      await expectError(
        be,
        "POST",
        "/api/scripts/a%20b/revoke",
        undefined,
        400,
        "invalid job id 'a b': use letters, digits and - _ = / .",
      );
      await expectError(
        be,
        "POST",
        "/api/jobs/a*b/kill",
        undefined,
        400,
        "invalid job id 'a*b': use letters, digits and - _ = / .",
      );
      await expectError(
        be,
        "POST",
        "/api/executions/a.b/kill",
        undefined,
        400,
        "invalid exec id 'a.b'",
      );
    });

    await t.step("DELETE /api/jobs/:id: 409 names the schedule (both shapes)", async () => {
      const kv = await be.deps.nats.kv(BUCKET.schedules);
      await kv.put("nightly", j({ id: "nightly", cron: "0 0 * * * *", job_id: "hello" }));
      await expectError(
        be,
        "DELETE",
        "/api/jobs/hello",
        undefined,
        409,
        "job 'hello' is referenced by schedule 'nightly'; remove the schedule first",
      );
      await kv.delete("nightly");
      await kv.put("weekly", j({ id: "weekly", when: { per_pc: "once" }, job_id: "hello" }));
      await expectError(
        be,
        "DELETE",
        "/api/jobs/hello",
        undefined,
        409,
        "job 'hello' is referenced by schedule 'weekly'; remove the schedule first",
      );
      await kv.put("broken", "not json");
      await kv.delete("weekly");
      const ok = await be.request("/api/jobs/hello", { method: "DELETE" });
      assert.equal(ok.status, 204);
      assert.deepEqual(await be.json("GET", "/api/scripts/status"), { hello: "REVOKED" });
      assert.deepEqual(await be.json("GET", "/api/jobs"), []);
      await expectError(be, "GET", "/api/jobs/hello/yaml", undefined, 404, "job 'hello' not found");
      // Deleting an absent job still answers 204.
      assert.equal((await be.request("/api/jobs/ghost", { method: "DELETE" })).status, 204);
      await be.json("POST", "/api/scripts/hello/unrevoke");
      await be.json("POST", "/api/jobs", JOB);
    });

    await t.step("POST /api/exec/:job_id", async () => {
      await expectError(
        be,
        "POST",
        "/api/exec/nope",
        j({ target: { all: true } }),
        404,
        "job 'nope' not found in catalog — register it first with `kanade job create <manifest.yaml>`",
      );
      await expectError(be, "POST", "/api/exec/hello", j({}), 400, NO_TARGET_MESSAGE);
      await expectError(
        be,
        "POST",
        "/api/exec/hello",
        j({ target: {}, rollout: { waves: [] } }),
        400,
        NO_TARGET_MESSAGE,
      );
      await expectError(be, "POST", "/api/exec/hello", "", 400, "request body is empty");
      await expectError(
        be,
        "POST",
        "/api/exec/hello",
        j({ target: { all: true }, jitter: "soon" }),
        400,
        "invalid jitter: expected number at 0",
      );
      await expectError(
        be,
        "POST",
        "/api/exec/hello",
        j({
          rollout: { waves: [{ group: "a", delay: "0s" }, { group: "b", delay: "5 parsecs" }] },
        }),
        400,
        /^invalid rollout\.waves\[1\]\.delay: unknown time unit "parsecs"/,
      );
      await expectError(
        be,
        "POST",
        "/api/exec/hello",
        j({ target: { pcs: ["ok", "PC.1"] } }),
        400,
        "target.pcs[1]: 'PC.1' is not a valid subject token (no spaces, dots, '*' or '>')",
      );
      await expectError(
        be,
        "POST",
        "/api/exec/hello",
        j({ target: { groups: ["a b"] } }),
        400,
        "target.groups[0]: 'a b' is not a valid subject token (no spaces, dots, '*' or '>')",
      );
      await expectError(
        be,
        "POST",
        "/api/exec/hello",
        j({ rollout: { waves: [{ group: ">", delay: "0s" }] } }),
        400,
        "rollout.waves.group[0]: '>' is not a valid subject token (no spaces, dots, '*' or '>')",
      );
      await expectError(
        be,
        "POST",
        "/api/exec/hello",
        j({ target: { all: "yes" } }),
        400,
        /^invalid body: target\.all: /,
      );
      await expectError(
        be,
        "POST",
        "/api/exec/hello",
        j({ target: { all: true }, deadline_at: "tomorrow" }),
        400,
        "invalid body: deadline_at: must be an RFC 3339 timestamp",
      );
      // A manifest that bypassed the create boundary (direct KV write) still gets 400s.
      const jobs = await be.deps.nats.kv(BUCKET.jobs);
      await jobs.put(
        "raw",
        j({ ...JOB, id: "raw", execute: { ...JOB.execute, timeout: "1 fortnight" } }),
      );
      await expectError(
        be,
        "POST",
        "/api/exec/raw",
        j({ target: { all: true } }),
        400,
        /^invalid timeout: unknown time unit "fortnight"/,
      );
      await jobs.put("nosrc", j({ ...JOB, id: "nosrc", execute: { shell: "cmd", timeout: "1m" } }));
      await expectError(
        be,
        "POST",
        "/api/exec/nosrc",
        j({ target: { all: true } }),
        400,
        "execute: one of `script`, `script_file`, `script_object` must be set",
      );
      await be.json("POST", "/api/jobs", {
        ...JOB,
        id: "obj",
        execute: { shell: "powershell", script_object: "nope/1", timeout: "1m" },
      });
      await expectError(
        be,
        "POST",
        "/api/exec/obj",
        j({ target: { all: true } }),
        404,
        "script_object 'nope/1' not found in OBJECT_SCRIPTS",
      );
      // Nothing was published or recorded by the refused requests.
      const rows = await be.deps.db.execute("SELECT COUNT(*) AS n FROM executions");
      assert.equal(rows.rows[0].n, 0);
    });

    await t.step("POST /api/run", async () => {
      const run = (v: unknown) => j({ pc_id: "PC1", script: "hostname", ...(v as object) });
      await expectError(
        be,
        "POST",
        "/api/run",
        run({ shell: "bash" }),
        400,
        "unknown shell 'bash' (expected powershell, ps, pwsh or cmd)",
      );
      await expectError(
        be,
        "POST",
        "/api/run",
        run({ pc_id: "PC 1" }),
        400,
        "invalid pc_id 'PC 1'",
      );
      await expectError(
        be,
        "POST",
        "/api/run",
        run({ timeout_secs: 99999 }),
        400,
        "timeout_secs must be at most 3600",
      );
      await expectError(
        be,
        "POST",
        "/api/run",
        run({ run_as: "root" }),
        400,
        "unknown run_as 'root' (expected system, user or system_gui)",
      );
      await expectError(
        be,
        "POST",
        "/api/run",
        run({ script: " " }),
        400,
        "script must not be empty",
      );
      await expectError(
        be,
        "POST",
        "/api/run",
        run({ job_id: "a.b" }),
        400,
        "invalid job_id 'a.b'",
      );
      await expectError(
        be,
        "POST",
        "/api/run",
        j({ pc_id: "PC1" }),
        400,
        /^invalid body: script: /,
      );
    });

    await t.step("script objects", async () => {
      const form = (bytes: Uint8Array | null) => {
        const f = new FormData();
        if (bytes) f.append("file", new File([bytes as Uint8Array<ArrayBuffer>], "s.ps1"));
        else f.append("other", "x");
        return f;
      };
      const post = (path: string, body: BodyInit) => be.request(path, { method: "POST", body });
      const expect = async (res: Response, status: number, msg: string | RegExp) => {
        const text = await res.text();
        assert.equal(res.status, status, text);
        const e = JSON.parse(text).error as string;
        if (typeof msg === "string") assert.equal(e, msg);
        else assert.match(e, msg);
      };
      // `.`/`..` segments are folded by URL parsing before routing: they never reach a handler.
      for (const p of ["/api/script-objects/%2E%2E/1", "/api/script-objects/ok/%2E"]) {
        const r = await post(p, form(new Uint8Array([1])));
        assert.equal(r.status, 404);
        await r.body?.cancel();
      }
      assert.throws(() => checkPart("name", ".."), /invalid script object name '\.\.'/);
      assert.throws(() => checkPart("version", "."), /invalid script object version '\.'/);
      await expect(
        await post("/api/script-objects/a%20b/1", form(new Uint8Array([1]))),
        400,
        "invalid script object name 'a b': one path segment of at most 128 printable ASCII characters, not '.' or '..', without spaces or slashes",
      );
      await expect(
        await post("/api/script-objects/ok/1%2F2", form(new Uint8Array([1]))),
        400,
        "invalid script object version '1/2': one path segment of at most 128 printable ASCII characters, not '.' or '..', without spaces or slashes",
      );
      // Non-ASCII names are refused up front (the object client cannot encode them).
      for (const path of ["/api/script-objects/%F0%9F%99%82/1", "/api/script-objects/ok/%DD%BC"]) {
        const r = await be.request(path);
        assert.equal(r.status, 400, path);
        await r.body?.cancel();
      }
      assert.deepEqual(await be.json("GET", "/api/script-objects"), []);
      await expect(
        await post("/api/script-objects/ok/1", form(null)),
        400,
        "multipart field `file` is missing",
      );
      await expect(
        await post("/api/script-objects/ok/1", "plain text"),
        400,
        "expected a multipart/form-data body with a `file` field",
      );
      await expect(
        await post("/api/script-objects/ok/1", form(new Uint8Array(4 * 1024 * 1024 + 1))),
        413,
        "script object exceeds 4194304 bytes",
      );
      const huge = await post("/api/script-objects/ok/1", form(new Uint8Array(5 * 1024 * 1024)));
      assert.equal(huge.status, 413);
      await huge.body?.cancel();
      await expectError(
        be,
        "GET",
        "/api/script-objects/none/1",
        undefined,
        404,
        "script object 'none/1' not found",
      );
      assert.equal(
        (await be.request("/api/script-objects/none/1", { method: "DELETE" })).status,
        204,
      );
    });

    await t.step("a missing scripts store answers 503", async () => {
      await be.json("POST", "/api/jobs", {
        ...JOB,
        id: "obj2",
        execute: { shell: "powershell", script_object: "x/1", timeout: "1m" },
      });
      await be.deps.nats.jsm.streams.delete(`OBJ_${OBJECT_STORE.scripts}`);
      await expectError(
        be,
        "POST",
        "/api/exec/obj2",
        j({ target: { all: true } }),
        503,
        "Object Store 'scripts' missing — run `kanade jetstream setup`",
      );
    });
  } finally {
    await be.stop();
  }
});

Deno.test("garbage input never yields a 500 on catalog routes", async () => {
  const be = await startTestBackend();
  try {
    await be.json("POST", "/api/jobs", JOB);
    const bodies = [
      "",
      "null",
      "[]",
      "42",
      '"str"',
      "{",
      '{"target":null}',
      '{"target":{"pcs":[1,2]}}',
      '{"rollout":{"waves":"x"}}',
      '{"id":{},"version":[],"execute":null}',
      '{"pc_id":null,"script":1}',
      '{"pc_id":"x","script":"y","timeout_secs":-1}',
      "\u0000\u0001",
      "a: &a [*a]",
    ];
    const paths: [string, string][] = [
      ["POST", "/api/jobs"],
      ["POST", "/api/exec/hello"],
      ["POST", "/api/run"],
      ["POST", "/api/jobs/hello/kill"],
      ["POST", "/api/executions/x/kill"],
      ["POST", "/api/scripts/hello/revoke"],
      ["POST", "/api/script-objects/a/b"],
      ["DELETE", "/api/jobs/%00"],
      ["GET", "/api/jobs/%FF/yaml"],
      ["GET", "/api/script-objects/a/%2F"],
    ];
    for (const [method, path] of paths) {
      for (const body of bodies) {
        for (const ct of ["application/json", "application/yaml", "multipart/form-data"]) {
          const res = await be.request(path, {
            method,
            headers: { "content-type": ct },
            body: method === "GET" || method === "DELETE" ? undefined : body,
          });
          await res.body?.cancel();
          assert.ok(
            res.status < 500,
            `${method} ${path} ${ct} ${JSON.stringify(body)} -> ${res.status}`,
          );
        }
      }
    }
  } finally {
    await be.stop();
  }
});
