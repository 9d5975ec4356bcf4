/**
 * What the projectors need from the job catalog (KV `jobs`), kept fresh by a KV watch:
 * the inventory hint (display/summary snapshots, checked explode specs, scalar-history
 * fields), the fleet `check:` hint and the execute timeout (for the per-run reaper deadline). Manifests are read
 * tolerantly: only these fields are parsed, anything else (newer fields, unknown shapes)
 * is ignored. It is also the explode pre-warm (backend.md §1 step 7): every explode
 * table a manifest declares is created as soon as the manifest is seen, so the search
 * route finds an empty table before the first result arrives.
 */
import type { Deps } from "../lib/deps.ts";
import { BUCKET } from "../wire/names.ts";
import { kvScan, openKv } from "../lib/kv.ts";
import { retryWhile, withTimeout } from "../util/retry.ts";
import { parseDurationSecs } from "../wire/duration.ts";
import { type ExplodeTableSpec, inventorySpecs } from "../lib/inventory/spec.ts";
import { ensureExplodeTables } from "../lib/inventory/tables.ts";
import { type CheckHintFacts, checkHintFacts } from "../lib/checks/hint.ts";

export interface ManifestFacts {
  id: string;
  /** `inventory` hint present (display required upstream; we accept any object). */
  inventory: {
    display: unknown;
    summary: unknown;
    /** Explode specs that passed the identifier checks (the others are in `specErrors`). */
    explode: ExplodeTableSpec[];
    historyScalars: string[];
  } | null;
  /** Why explode entries of this manifest were left out. */
  specErrors?: string[];
  timeoutSecs: number | null;
  /** The `check:` hint when the check projects fleet-wide (lib/checks/hint.ts). */
  check?: CheckHintFacts;
}

/** Pure: the fields we need from one `jobs` value; null when it is not a manifest object. */
export function manifestFacts(key: string, raw: unknown): ManifestFacts | null {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return null;
  const m = raw as Record<string, unknown>;
  const id = typeof m.id === "string" && m.id ? m.id : key;
  const inv = m.inventory;
  const specs = inventorySpecs(inv);
  const inventory = inv && typeof inv === "object" && !Array.isArray(inv)
    ? {
      display: (inv as Record<string, unknown>).display ?? [],
      summary: (inv as Record<string, unknown>).summary ?? null,
      explode: specs.explode,
      historyScalars: specs.historyScalars,
    }
    : null;
  let timeoutSecs: number | null = null;
  const ex = m.execute as Record<string, unknown> | undefined;
  if (ex && typeof ex.timeout === "string") {
    try {
      timeoutSecs = parseDurationSecs(ex.timeout);
    } catch { /* tolerate */ }
  } else if (ex && typeof ex.timeout === "number") timeoutSecs = ex.timeout;
  const check = checkHintFacts(m.check);
  return {
    id,
    inventory,
    timeoutSecs,
    ...(specs.errors.length ? { specErrors: specs.errors } : {}),
    ...(check ? { check } : {}),
  };
}

export interface ManifestCache {
  get(id: string): ManifestFacts | undefined;
  /** Make sure the initial load happened (bounded wait). */
  ready(): Promise<void>;
  /** Resolves when the explode tables of every manifest seen so far exist (tests). */
  warmed(): Promise<void>;
  stop(): void;
}

export function startManifestCache(deps: Deps): ManifestCache {
  const map = new Map<string, ManifestFacts>();
  const td = new TextDecoder();
  let stopped = false;
  let watcher: { stop(): void } | null = null;
  // Pre-warm runs one manifest at a time, off the watch loop; failures only log (the
  // projection and the search route ensure their tables again).
  let warming: Promise<void> = Promise.resolve();
  const prewarm = (f: ManifestFacts) => {
    for (const err of f.specErrors ?? []) {
      deps.log.warn("explode spec ignored", { job_id: f.id, err });
    }
    const specs = f.inventory?.explode ?? [];
    if (!specs.length) return;
    warming = warming.then(async () => {
      if (stopped) return;
      try {
        const res = await ensureExplodeTables(deps.db, specs);
        for (const [table, err] of res) {
          if (err) deps.log.warn("explode table unusable", { job_id: f.id, table, err });
        }
      } catch (e) {
        deps.log.warn("explode pre-warm failed", { job_id: f.id, err: e });
      }
    });
  };
  const put = (key: string, value: Uint8Array | null) => {
    if (!value || value.length === 0) {
      map.delete(key);
      return;
    }
    try {
      const f = manifestFacts(key, JSON.parse(td.decode(value)));
      if (f) {
        map.set(key, f);
        prewarm(f);
      } else map.delete(key);
    } catch {
      map.delete(key);
    }
  };
  const abort = new AbortController();
  const load = async () => {
    watcher?.stop(); // a failed attempt's watch, if it got that far
    const kv = await openKv(deps.nats, BUCKET.jobs);
    // Watch first (updates only), then list: nothing written in between is missed.
    const w = await kv.watch({ include: "updates" });
    watcher = w;
    (async () => {
      for await (const e of w) {
        put(e.key, e.operation === "PUT" ? e.value : null);
      }
    })().catch(() => {});
    for (const e of await kvScan(kv)) if (!map.has(e.key)) put(e.key, e.value);
  };
  // Until the bucket answers (it may not exist yet), every 2 s while running.
  const loaded = retryWhile(load, {
    transient: () => true,
    firstPauseMs: 2_000,
    maxPauseMs: 2_000,
    signal: abort.signal,
    onRetry: (e) => deps.log.debug("jobs cache: bucket not available yet", { err: e }),
  }).catch(() => {});
  return {
    get: (id) => map.get(id),
    // A bound on the first load, not a retry: the projection starts anyway after it.
    ready: async () => void await withTimeout(loaded, 3_000),
    warmed: () => loaded.then(() => warming),
    stop() {
      stopped = true;
      abort.abort();
      watcher?.stop();
    },
  };
}
