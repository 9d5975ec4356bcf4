/**
 * `deno task db-page-size` on a real libSQL file, run as the operator runs it (its own
 * process): data kept, WAL again, and the refusals. The files are made in a subprocess too:
 * a connection of this process would count as another user of the file.
 */
import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { openDb, PAGE_SIZE } from "../db/client.ts";
import { convertPageSize, filePageSize } from "./db_page_size.ts";

const TOOL = new URL("./db_page_size.ts", import.meta.url).pathname;

async function deno(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" })
    .output();
  const td = new TextDecoder();
  return { code: out.code, text: td.decode(out.stdout) + td.decode(out.stderr) };
}

/** A 4 KiB-page WAL file with 5,000 rows of 100-3,100 bytes, as an older backend made it. */
async function oldFile(): Promise<{ url: string; path: string; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "kanade-page-" });
  const path = `${dir}/kanade.db`;
  const made = await deno([
    "eval",
    `import { createClient } from "@libsql/client";
     await createClient({ url: "file:${path}" }).executeMultiple(\`PRAGMA journal_mode = WAL;
       CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT);
       WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 5000)
       INSERT INTO t SELECT i, printf('%.*c', 100 + i % 3000, 'x') FROM k;\`);`,
  ]);
  assert.equal(made.code, 0, made.text);
  return { url: `file:${path}`, path, dir };
}

async function facts(url: string) {
  const c = createClient({ url });
  try {
    const one = async (sql: string) => (await c.execute(sql)).rows[0][0];
    return {
      pageSize: Number(await one("PRAGMA page_size")),
      mode: String(await one("PRAGMA journal_mode")),
      rows: Number(await one("SELECT COUNT(*) FROM t")),
      bytes: Number(await one("SELECT SUM(length(body)) FROM t")),
      ok: String(await one("PRAGMA integrity_check")),
    };
  } finally {
    c.close();
  }
}

Deno.test("db-page-size rewrites a 4 KiB file with 16 KiB pages, keeps every row and WAL", async () => {
  const { url, path, dir } = await oldFile();
  try {
    assert.equal(await filePageSize(path), 4096);
    const run = await deno(["run", "-A", TOOL, "--db", url]);
    assert.equal(run.code, 0, run.text);
    assert.match(run.text, new RegExp(`4096 → ${PAGE_SIZE}-byte pages`));
    assert.deepEqual(await facts(url), {
      pageSize: PAGE_SIZE,
      mode: "wal",
      rows: 5000,
      bytes: 5000 * 100 + [...Array(5000)].reduce((a, _, i) => a + (i + 1) % 3000, 0),
      ok: "ok",
    });
    // Again: nothing to do.
    const again = await deno(["run", "-A", TOOL, "--db", url]);
    assert.equal(again.code, 0, again.text);
    assert.match(again.text, new RegExp(`already ${PAGE_SIZE}-byte pages`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("db-page-size refuses a file a backend has open and changes nothing", async () => {
  const { url, path, dir } = await oldFile();
  const backend = await openDb({ url });
  try {
    const count = async () => Number((await backend.execute("SELECT COUNT(*) FROM t")).rows[0][0]);
    assert.equal(await count(), 5000);
    const run = await deno(["run", "-A", TOOL, "--db", url]);
    assert.equal(run.code, 1, run.text);
    assert.match(run.text, /in use: stop the backend first/);
    assert.equal(await filePageSize(path), 4096);
    assert.equal(await count(), 5000);
  } finally {
    backend.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("db-page-size refuses a remote URL and a missing file (never creates one)", async () => {
  await assert.rejects(convertPageSize("http://127.0.0.1:8080"), /not a local database file/);
  const dir = await Deno.makeTempDir({ prefix: "kanade-page-" });
  try {
    await assert.rejects(convertPageSize(`file:${dir}/typo.db`), Deno.errors.NotFound);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
