/**
 * What the projectors need from the job catalog (KV `jobs`), kept fresh by a KV watch:
 * the inventory hint (display/summary snapshots) and the execute timeout (for the
 * per-run reaper deadline). Manifests are read tolerantly: only these fields are parsed,
 * anything else (newer fields, unknown shapes) is ignored.
 */
import type { Deps } from "../lib/deps.ts";
import { BUCKET } from "../wire/names.ts";
import { parseDurationSecs } from "../wire/duration.ts";

export interface ManifestFacts {
  id: string;
  /** `inventory` hint present (display required upstream; we accept any object). */
  inventory: { display: unknown; summary: unknown } | null;
  timeoutSecs: number | null;
}

/** Pure: the fields we need from one `jobs` value; null when it is not a manifest object. */
export function manifestFacts(key: string, raw: unknown): ManifestFacts | null {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return null;
  const m = raw as Record<string, unknown>;
  const id = typeof m.id === "string" && m.id ? m.id : key;
  const inv = m.inventory;
  const inventory = inv && typeof inv === "object" && !Array.isArray(inv)
    ? {
      display: (inv as Record<string, unknown>).display ?? [],
      summary: (inv as Record<string, unknown>).summary ?? null,
    }
    : null;
  let timeoutSecs: number | null = null;
  const ex = m.execute as Record<string, unknown> | undefined;
  if (ex && typeof ex.timeout === "string") {
    try {
      timeoutSecs = parseDurationSecs(ex.timeout);
    } catch { /* tolerate */ }
  } else if (ex && typeof ex.timeout === "number") timeoutSecs = ex.timeout;
  return { id, inventory, timeoutSecs };
}

export interface ManifestCache {
  get(id: string): ManifestFacts | undefined;
  /** Make sure the initial load happened (bounded wait). */
  ready(): Promise<void>;
  stop(): void;
}

export function startManifestCache(deps: Deps): ManifestCache {
  const map = new Map<string, ManifestFacts>();
  const td = new TextDecoder();
  let stopped = false;
  let watcher: { stop(): void } | null = null;
  const put = (key: string, value: Uint8Array | null) => {
    if (!value || value.length === 0) {
      map.delete(key);
      return;
    }
    try {
      const f = manifestFacts(key, JSON.parse(td.decode(value)));
      if (f) map.set(key, f);
      else map.delete(key);
    } catch {
      map.delete(key);
    }
  };
  const loaded = (async () => {
    while (!stopped) {
      try {
        const kv = await deps.nats.kv(BUCKET.jobs);
        // Watch first (updates only), then list: nothing written in between is missed.
        const w = await kv.watch({ include: "updates" });
        watcher = w;
        (async () => {
          for await (const e of w) {
            put(e.key, e.operation === "PUT" ? e.value : null);
          }
        })().catch(() => {});
        const keys = await kv.keys();
        for await (const k of keys) {
          const e = await kv.get(k);
          if (e && e.operation === "PUT" && !map.has(k)) put(k, e.value);
        }
        return;
      } catch (e) {
        deps.log.debug("jobs cache: bucket not available yet", { err: e });
        await new Promise((r) => setTimeout(r, 2_000));
      }
    }
  })();
  return {
    get: (id) => map.get(id),
    ready: () => Promise.race([loaded, new Promise<void>((r) => setTimeout(r, 3_000))]),
    stop() {
      stopped = true;
      watcher?.stop();
    },
  };
}
