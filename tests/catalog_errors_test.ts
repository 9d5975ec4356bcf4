/**
 * Every 4xx path of the catalog / exec / run / script-object routes, with its message,
 * and a garbage sweep proving that bad input never produces a 500.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend } from "./helpers/backend.ts";
import { BUCKET, OBJECT_STORE } from "../wire/names.ts";
import { NO_TARGET_MESSAGE } from "../lib/exec/plan.ts";
import { checkPart } from "../lib/catalog/script_objects.ts";

/** The response is the error `status` with `message` (exact, or matching); its body parsed. */
async function checkError(
  res: Response,
  status: number,
  message: string | RegExp,
  label: string,
): Promise<{ error: string; status: number }> {
  const text = await res.text();
  assert.equal(res.status, status, `${label}: ${text}`);
  const err = JSON.parse(text) as { error: string; status: number };
  if (typeof message === "string") assert.equal(err.error, message);
  else assert.match(err.error, message);
  return err;
}

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
  const err = await checkError(res, status, message, `${method} ${path}`);
  assert.equal(err.status, status);
}

/** One bad body for a POST route: the body, the 400's message, and its content type. */
type Bad = [body: BodyInit, message: string | RegExp, contentType?: string];

/** Each body POSTed to `path`, in order, is refused with a 400 carrying its message. */
async function expect400s(be: TestBackend, path: string, cases: Bad[]) {
  for (const [body, message, contentType] of cases) {
    await expectError(be, "POST", path, body, 400, message, contentType);
  }
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
      const inventory = (table: string, primary_key: string[]) => ({
        display: [],
        explode: [{ field: "apps", table, primary_key, columns: [{ field: "name" }] }],
      });
      await expect400s(be, "/api/jobs", [
        ["{", /^invalid JSON: /],
        ["", "request body is empty"],
        ["id: [", /^invalid YAML: /, "text/yaml"],
        [
          j({ ...JOB, inventory: inventory("bad-name", ["name"]) }),
          /^inventory: explode "bad-name": invalid table identifier/,
        ],
        [
          j({ ...JOB, inventory: inventory("apps", ["version"]) }),
          /^inventory: explode "apps": .*version/,
        ],
        [
          "id: a\nversion: '1'\nexecute: {shell: cmd, script: x, timeout: 1m, foo: 1}\n",
          "unknown field `execute.foo`",
          "application/x-yaml",
        ],
        [
          j({ ...JOB, target: { all: true } }),
          "manifest must not contain `target` (since v0.18 these belong to the schedule or the exec request)",
        ],
        [
          j({ ...JOB, execute: { ...JOB.execute, script_file: "a.ps1" } }),
          "execute: only one of `script` / `script_file` / `script_object` may be set (got script=true, script_file=true, script_object=false)",
        ],
        [j([JOB]), "manifest must be a mapping (JSON object / YAML map)"],
        [j({ ...JOB, check: { name: "c", label: " " } }), "check.label must not be empty when set"],
      ]);
    });

    await t.step("GET /api/jobs/:id/yaml and bad ids", async () => {
      const badId = (id: string) => `invalid job id '${id}': use letters, digits and - _ = / .`;
      const cases: [method: string, path: string, status: number, message: string][] = [
        ["GET", "/api/jobs/nope/yaml", 404, "job 'nope' not found"],
        ["GET", "/api/jobs/a%20b/yaml", 400, badId("a b")],
        ["POST", "/api/scripts/a%20b/revoke", 400, badId("a b")],
        ["POST", "/api/jobs/a*b/kill", 400, badId("a*b")],
        ["POST", "/api/executions/a.b/kill", 400, "invalid exec id 'a.b'"],
      ];
      for (const [method, path, status, message] of cases) {
        await expectError(be, method, path, undefined, status, message);
      }
    });

    await t.step("DELETE /api/jobs/:id: 409 names the schedule (both shapes)", async () => {
      const kv = await be.deps.nats.kv(BUCKET.schedules);
      await kv.put("nightly", j({ id: "nightly", cron: "0 0 * * * *", job_id: "hello" }));
      const referenced = (schedule: string) =>
        expectError(
          be,
          "DELETE",
          "/api/jobs/hello",
          undefined,
          409,
          `job 'hello' is referenced by schedule '${schedule}'; remove the schedule first`,
        );
      await referenced("nightly");
      await kv.delete("nightly");
      await kv.put("weekly", j({ id: "weekly", when: { per_pc: "once" }, job_id: "hello" }));
      await referenced("weekly");
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
      const badToken = (field: string, v: string) =>
        `${field}: '${v}' is not a valid subject token (no spaces, dots, '*' or '>')`;
      await expect400s(be, "/api/exec/hello", [
        [j({}), NO_TARGET_MESSAGE],
        [j({ target: {}, rollout: { waves: [] } }), NO_TARGET_MESSAGE],
        ["", "request body is empty"],
        [j({ target: { all: true }, jitter: "soon" }), "invalid jitter: expected number at 0"],
        [
          j({
            rollout: { waves: [{ group: "a", delay: "0s" }, { group: "b", delay: "5 parsecs" }] },
          }),
          /^invalid rollout\.waves\[1\]\.delay: unknown time unit "parsecs"/,
        ],
        [j({ target: { pcs: ["ok", "PC.1"] } }), badToken("target.pcs[1]", "PC.1")],
        [j({ target: { groups: ["a b"] } }), badToken("target.groups[0]", "a b")],
        [
          j({ rollout: { waves: [{ group: ">", delay: "0s" }] } }),
          badToken("rollout.waves.group[0]", ">"),
        ],
        [j({ target: { all: "yes" } }), /^invalid body: target\.all: /],
        [
          j({ target: { all: true }, deadline_at: "tomorrow" }),
          "invalid body: deadline_at: must be an RFC 3339 timestamp",
        ],
      ]);
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
      await expect400s(be, "/api/run", [
        [run({ shell: "bash" }), "unknown shell 'bash' (expected powershell, ps, pwsh or cmd)"],
        [run({ pc_id: "PC 1" }), "invalid pc_id 'PC 1'"],
        [run({ timeout_secs: 99999 }), "timeout_secs must be at most 3600"],
        [run({ run_as: "root" }), "unknown run_as 'root' (expected system, user or system_gui)"],
        [run({ script: " " }), "script must not be empty"],
        [run({ job_id: "a.b" }), "invalid job_id 'a.b'"],
        [j({ pc_id: "PC1" }), /^invalid body: script: /],
      ]);
    });

    await t.step("script objects", async () => {
      const form = (bytes: Uint8Array | null) => {
        const f = new FormData();
        if (bytes) f.append("file", new File([bytes as Uint8Array<ArrayBuffer>], "s.ps1"));
        else f.append("other", "x");
        return f;
      };
      const post = (path: string, body: BodyInit) => be.request(path, { method: "POST", body });
      const expect = (res: Response, status: number, msg: string | RegExp) =>
        checkError(res, status, msg, res.url);
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
