import assert from "node:assert/strict";
import { type ResultRowIn, rowJson } from "./results_sql.ts";
import { packRows, ResultsWriter, unpackRows } from "./results_writer.ts";

const row = (id: string, job: string | null, exit: number): ResultRowIn & { json: string } => {
  const r: ResultRowIn = {
    result_id: id,
    request_id: `req-${id}`,
    exec_id: id === "c" ? null : "E",
    pc_id: `PC-${id}`,
    exit_code: exit,
    stdout: `out ${id}`,
    stderr: `err ${id}`,
    started_at: "2026-12-06T12:00:00.000000000Z",
    finished_at: "2026-12-06T12:00:01.000000000Z",
    recorded_at: "2026-12-06T12:00:02.000000000Z",
    job_id: job,
  };
  return { ...r, json: rowJson(r) };
};

Deno.test("writer rows: packed as columns, the rest of a row only where inventory or a check reads it", () => {
  const rows = [
    row("a", "plain", 0),
    row("b", "inv", 0),
    row("c", null, 1),
    row("d", "chk", 2),
    row("e", "inv", 3),
  ];
  const packed = packRows(rows, [["inv", {} as never]], [["chk", {} as never]]);
  // Structured clone is what the thread receives.
  const back = unpackRows(structuredClone(packed));
  assert.equal(back.length, rows.length);
  for (const [i, r] of back.entries()) {
    // What the plan, the upsert and the counters read, for every row.
    assert.equal(r.result_id, rows[i].result_id);
    assert.equal(r.exec_id, rows[i].exec_id);
    assert.equal(r.exit_code, rows[i].exit_code);
    assert.equal(r.job_id, rows[i].job_id);
    assert.equal(r.json, rows[i].json);
    assert.equal(r.stdout, rows[i].stdout);
    assert.equal(r.stderr, rows[i].stderr);
  }
  assert.deepEqual(packed.whole.map(([i]) => i), [1, 3, 4]);
  // The texts travel once, in their columns; the element carries none.
  assert.ok(packed.whole.every(([, r]) => !("stdout" in r) && !("json" in r)));
  assert.equal(packed.json.join(",").includes("out a"), false);
  // Inventory and checks read the rest of their rows.
  assert.equal(back[1].pc_id, "PC-b");
  assert.equal(back[3].request_id, "req-d");
  // The others carry only what the write reads.
  assert.equal(back[0].pc_id, "");
});

Deno.test("writer thread: collects its own heap when asked, between batches", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kanade-writer-" });
  const w = new ResultsWriter({ dbUrl: `file:${dir}/w.db`, busyTimeoutMs: 1000 });
  try {
    assert.equal(await w.collect(), false, "no thread before the first batch");
    const r = await w.commit({
      rows: packRows([], [], []),
      inventory: [],
      checks: [],
      rejects: [],
    });
    assert.equal(r.written, 0);
    assert.equal(await w.collect(), true);
  } finally {
    await w.close();
    await Deno.remove(dir, { recursive: true });
  }
});
