/**
 * Inventory projection cost (the DB side of the results projector, as in the writer
 * thread): a fleet reporting an `inventory-sw`-like job with hundreds of apps per PC,
 * explode table with `track_history`, batches of results per transaction. Pass 1 fills
 * the table (every app `added`); pass 2 is a typical re-scan (a few apps changed, one
 * added, one removed per PC). Reported as results/s and explode rows/s.
 */
import type { BenchRow, BenchSuite } from "./types.ts";
import { median } from "./types.ts";
import { tempDb } from "../tests/helpers/db.ts";
import { logger } from "../lib/log.ts";
import { applyResults } from "../projectors/results.ts";
import type { ResultRowIn } from "../projectors/results_sql.ts";
import { manifestFacts } from "../projectors/manifest_cache.ts";

const APPS = 300;
const BATCH = 500;

const facts = manifestFacts("bench-sw", {
  id: "bench-sw",
  inventory: {
    display: [],
    history_scalars: ["os"],
    explode: [{
      field: "apps",
      table: "bench_sw_apps",
      primary_key: ["key", "source"],
      columns: [
        { field: "key" },
        { field: "source" },
        { field: "name", index: true },
        { field: "version" },
        { field: "publisher" },
        { field: "size", type: "integer" },
      ],
      track_history: true,
    }],
  },
})!;

function stdout(pc: number, pass: number): string {
  const apps = [];
  for (let a = 0; a < APPS; a++) {
    // pass 2: every 50th app has a new version, app 0 is gone and one new app appears
    if (pass === 2 && a === 0) continue;
    apps.push({
      key: `app-${a}`,
      source: a % 3 ? "hklm" : "hkcu",
      name: `Application number ${a}`,
      version: pass === 2 && a % 50 === 1 ? "2.0.0" : "1.0.0",
      publisher: "Some Vendor Inc.",
      size: 1000 * a + pc,
    });
  }
  if (pass === 2) apps.push({ key: "app-new", source: "hklm", name: "New", version: "1" });
  return JSON.stringify({ os: pass === 1 ? "Windows 10" : "Windows 11", apps });
}

function row(pc: number, pass: number): ResultRowIn {
  const ts = `2026-06-20T0${pass}:00:00.000000000Z`;
  return {
    result_id: crypto.randomUUID(),
    request_id: crypto.randomUUID(),
    exec_id: null,
    pc_id: `PC${pc}`,
    exit_code: 0,
    stdout: stdout(pc, pass),
    stderr: "",
    started_at: ts,
    finished_at: ts,
    recorded_at: ts,
    job_id: "bench-sw",
  };
}

async function pass(db: Awaited<ReturnType<typeof tempDb>>["db"], pcs: number, p: number) {
  const log = logger({ bench: "inventory" });
  const manifests = { get: () => facts };
  let ms = 0;
  for (let i = 0; i < pcs; i += BATCH) {
    const rows = Array.from({ length: Math.min(BATCH, pcs - i) }, (_, j) => row(i + j, p));
    const t0 = performance.now();
    const tx = await db.transaction("write");
    try {
      await applyResults(tx, rows, { log, manifests });
      await tx.commit();
    } finally {
      tx.close();
    }
    ms += performance.now() - t0;
  }
  return ms / 1000;
}

export const suite: BenchSuite = {
  name: "inventory",
  async run(ctx) {
    const pcs = ctx.quick ? 200 : 2_000;
    const runs = ctx.quick ? 1 : 3;
    const fill: number[] = [];
    const rescan: number[] = [];
    let events = 0;
    for (let r = 0; r < runs; r++) {
      const t = await tempDb();
      try {
        fill.push(pcs / await pass(t.db, pcs, 1));
        rescan.push(pcs / await pass(t.db, pcs, 2));
        const rs = await t.db.execute("SELECT COUNT(*) AS n FROM inventory_history");
        events = Number(rs.rows[0].n);
      } finally {
        await t.close();
      }
      ctx.log(
        `run ${r + 1}: fill ${fill.at(-1)!.toFixed(0)}/s, rescan ${rescan.at(-1)!.toFixed(0)}/s`,
      );
    }
    const note =
      `${pcs} PCs × ${APPS} apps, track_history, ${BATCH} results/tx; ${events} history rows`;
    const rows: BenchRow[] = [
      {
        name: "inventory projection, first scan (all added)",
        median: Math.round(median(fill)),
        unit: "results/s",
        samples: fill.map(Math.round),
        note: `${Math.round(median(fill) * APPS)} explode rows/s; ${note}`,
      },
      {
        name: "inventory projection, re-scan (few changes)",
        median: Math.round(median(rescan)),
        unit: "results/s",
        samples: rescan.map(Math.round),
        note: `${Math.round(median(rescan) * APPS)} explode rows/s; ${note}`,
      },
    ];
    return rows;
  },
};
