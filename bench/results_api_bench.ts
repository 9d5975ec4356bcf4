/**
 * GET /api/results latency on a large table: `limit=50` p95 with 1,000,000 rows, a
 * stdout regex over the full 10,000-row scan window, and the pathological `(a+)+$` on
 * long output (RE2: linear time). Requests go through the real router (app.request).
 */
import type { BenchContext, BenchRow, BenchSuite } from "./types.ts";
import { median, percentile } from "./types.ts";
import { startNatsServer } from "../tests/helpers/nats_server.ts";
import { tempDb } from "../tests/helpers/db.ts";
import { connectNats } from "../lib/nats.ts";
import { loadConfig } from "../lib/config.ts";
import { logger, setLogLevel } from "../lib/log.ts";
import { buildApp } from "../handlers/router.ts";
import { routes } from "../handlers/results/mod.ts";
import { dbTs } from "../wire/time.ts";
import { valuesSql } from "../projectors/batch.ts";
import { COLS as RESULT_COLS } from "../projectors/results_sql.ts";
import type { Db } from "../db/client.ts";

/** The projector's columns, plus the manifest version a real result row carries too. */
const COLS = [...RESULT_COLS, "version"] as const;
type Row = Record<(typeof COLS)[number], string | number | null>;

async function fill(db: Db, n: number, log: (m: string) => void) {
  const t0 = performance.now();
  const base = Date.parse("2026-01-01T00:00:00Z");
  const per = 100; // rows per statement
  for (let i = 0; i < n; i += 10_000) {
    const stmts = [];
    for (let j = i; j < Math.min(n, i + 10_000); j += per) {
      const args: (string | number | null)[] = [];
      const m = Math.min(per, n - j);
      for (let k = j; k < j + m; k++) {
        const started = dbTs(base + k * 1000);
        const row: Row = {
          result_id: `r${String(k).padStart(8, "0")}`,
          request_id: `req-${k}`,
          exec_id: `exec-${k % 1000}`,
          pc_id: `PC${k % 5000}`,
          exit_code: k % 10 === 0 ? 1 : 0,
          stdout: `line ${k}: ok, disk C: ${k % 97}% free, status nominal; ` +
            "lorem ipsum ".repeat(8),
          stderr: k % 10 === 0 ? "error: something failed" : "",
          started_at: started,
          finished_at: dbTs(base + k * 1000 + 1500),
          recorded_at: started,
          job_id: `job-${k % 50}`,
          version: "1.0.0",
        };
        for (const c of COLS) args.push(row[c]);
      }
      stmts.push({
        sql: `INSERT INTO execution_results (${COLS.join(",")}) VALUES ${
          valuesSql(m, COLS.length)
        }`,
        args,
      });
    }
    await db.batch(stmts, "write");
  }
  log(`inserted ${n} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

async function timeRequests(
  app: { request: (p: string) => Response | Promise<Response> },
  path: string,
  n: number,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await app.request(path);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${path} -> ${res.status}`);
    out.push(performance.now() - t0);
  }
  return out;
}

export const suite: BenchSuite = {
  name: "results_api",
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    setLogLevel("error");
    const n = ctx.quick ? 100_000 : 1_000_000;
    const broker = await startNatsServer();
    const t = await tempDb();
    const config = loadConfig({
      args: [],
      env: { KANADE_NATS_URL: broker.url, KANADE_DB_URL: t.url, KANADE_AUTH_DISABLE: "1" },
    });
    const nats = await connectNats(config, "bench-results-api");
    try {
      await fill(t.db, n, ctx.log);
      // a few newest rows with long "aaaa…b" output for the pathological pattern
      const long = "a".repeat(100_000) + "b";
      for (let i = 0; i < 5; i++) {
        await t.db.execute({
          sql: `INSERT INTO execution_results (result_id, request_id, pc_id, exit_code, stdout,
                  started_at, finished_at, recorded_at) VALUES (?, 'x', 'PCX', 0, ?, ?, ?, ?)`,
          args: [
            `zz${i}`,
            long,
            dbTs(Date.parse("2027-01-01T00:00:00Z") + i),
            dbTs(Date.now()),
            dbTs(Date.now()),
          ],
        });
      }
      await t.db.execute("ANALYZE");
      const app = buildApp({ config, nats, db: t.db, log: logger() }, routes);
      const runs = ctx.quick ? 3 : 5;
      // warm-up (JIT, page cache, count cache) is not measured
      await timeRequests(app, "/api/results?limit=50", 20);
      await timeRequests(app, "/api/results?limit=50&stdout=disk%20[A-Z]:%20999%25", 3);
      const plain: number[] = [];
      const regex: number[] = [];
      const patho: number[] = [];
      for (let r = 0; r < runs; r++) {
        plain.push(percentile(await timeRequests(app, "/api/results?limit=50", 100), 95));
        // matches nothing: the whole 10,000-row window is scanned and regex-tested
        regex.push(
          percentile(
            await timeRequests(app, "/api/results?limit=50&stdout=disk%20[A-Z]:%20999%25", 20),
            95,
          ),
        );
        patho.push(
          percentile(await timeRequests(app, "/api/results?limit=50&stdout=(a%2B)%2B$", 5), 95),
        );
        ctx.log(
          `run ${r + 1}: plain p95 ${plain[r].toFixed(1)} ms, regex p95 ${
            regex[r].toFixed(1)
          } ms, (a+)+$ ${patho[r].toFixed(1)} ms`,
        );
      }
      const row = (name: string, xs: number[], target: number, note: string): BenchRow => ({
        name,
        median: Number(median(xs).toFixed(1)),
        unit: "ms (p95)",
        samples: xs.map((x) => Number(x.toFixed(1))),
        target: `≤ ${target} ms`,
        ok: median(xs) <= target,
        note,
      });
      return [
        row(
          `GET /api/results?limit=50 (${n} rows)`,
          plain,
          50,
          "p95 of 100 requests per run, incl. X-Total-Count",
        ),
        row(
          "GET /api/results?stdout=<regex> (10,000 rows scanned)",
          regex,
          300,
          "no match: full scan window",
        ),
        row(
          "GET /api/results?stdout=(a+)+$ (100 KB outputs)",
          patho,
          1000,
          "RE2: linear time, bounded",
        ),
      ];
    } finally {
      await nats.close();
      await t.close();
      await broker.stop();
    }
  },
};
