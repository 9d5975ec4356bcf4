/**
 * Gives memory back to the system once a burst is over: one full V8 collection on each
 * registered isolate (this thread, the results writer thread) and glibc's `malloc_trim(0)`.
 *
 * Why: an exec to all at 100,000 agents grows the backend from ~300 MiB to 1.4–1.6 GiB, and
 * it stays there for minutes. Measured on the live 100k setup (docs/scale.md, "Memory after a
 * burst"): 30–60 s after the burst the main isolate held ~710 MiB of old-generation objects and
 * ~310 MiB of ArrayBuffers (NATS read buffers), nearly all garbage: V8 sets its next limit
 * from the burst's peak, and its memory reducer never starts while the event loop keeps
 * calling into JS (heartbeats every few milliseconds). A forced full collection took the heap
 * from 787 to 75 MiB; glibc then still held ~450 MiB of freed chunks in its main arena,
 * which `malloc_trim(0)` returned (RSS 1,585 → ~400 MiB).
 *
 * When: `MemoryPolicy` (pure) watches RSS. It acts when RSS has grown well past its floor
 * (the lowest RSS since the last return) and has stopped growing, so it runs after a burst,
 * not in it, and at most once a minute. A return whose memory is really live (a bigger fleet)
 * raises the floor, so it is not repeated.
 */
import v8 from "node:v8";
import vm from "node:vm";
import { type Component, component } from "./component.ts";
import { log } from "./log.ts";
import { countMemoryReturn } from "./metrics.ts";

const MIB = 2 ** 20;

export interface MemoryPolicyOptions {
  /** How far above the floor RSS must be: max(this, floor × `growthFactor`), MiB. */
  minGrowthMiB: number;
  growthFactor: number;
  /** "Stopped growing": RSS rose by at most this much over the last `settleMs`. */
  settleMiB: number;
  settleMs: number;
  /** Least time between two returns. */
  minGapMs: number;
}

export const DEFAULT_MEMORY_POLICY: MemoryPolicyOptions = {
  minGrowthMiB: 128,
  growthFactor: 0.5,
  settleMiB: 32,
  settleMs: 10_000,
  minGapMs: 60_000,
};

/** Pure: when to return memory, from RSS samples (MiB) and the clock (ms). */
export class MemoryPolicy {
  #floor = Infinity;
  #lastAt = -Infinity;
  #samples: { at: number; rss: number }[] = [];

  constructor(readonly opts: MemoryPolicyOptions = DEFAULT_MEMORY_POLICY) {}

  get floorMiB(): number {
    return this.#floor;
  }

  /** One sample; true when memory should be returned now. */
  sample(now: number, rssMiB: number): boolean {
    const o = this.opts;
    this.#floor = Math.min(this.#floor, rssMiB);
    this.#samples.push({ at: now, rss: rssMiB });
    // Keep the oldest sample that is still at least `settleMs` old, and everything after it.
    while (this.#samples.length > 1 && now - this.#samples[1].at >= o.settleMs) {
      this.#samples.shift();
    }
    const oldest = this.#samples[0];
    if (now - oldest.at < o.settleMs) return false; // not watched long enough yet
    const grown = rssMiB - this.#floor >= Math.max(o.minGrowthMiB, this.#floor * o.growthFactor);
    const settled = rssMiB - oldest.rss <= o.settleMiB;
    return grown && settled && now - this.#lastAt >= o.minGapMs;
  }

  /** After a return: RSS then is the new floor (what is left is live, or not ours to give). */
  returned(now: number, rssMiB: number): void {
    this.#lastAt = now;
    this.#floor = rssMiB;
    this.#samples = [{ at: now, rss: rssMiB }];
  }
}

let gcFn: (() => void) | null | undefined;

/**
 * A full, synchronous V8 collection of the calling isolate; false where it is not available.
 * V8 hands a `gc` function only to contexts created with `--expose-gc`; the flag is set at
 * run time (it is read when a context is created) and a fresh `node:vm` context hands its `gc`
 * back. It collects the isolate that calls it (a worker calls its own).
 */
export function collectGarbage(): boolean {
  if (gcFn === undefined) {
    try {
      v8.setFlagsFromString("--expose-gc");
      const fn = vm.runInNewContext("gc");
      gcFn = typeof fn === "function" ? fn as () => void : null;
    } catch {
      gcFn = null;
    }
  }
  if (!gcFn) return false;
  gcFn();
  return true;
}

let trimFn: (() => number) | null | undefined;

/**
 * glibc's `malloc_trim(0)`: free pages inside its arenas go back to the kernel (plain
 * `free` only shrinks an arena from its top). False where there is no glibc (musl, macOS,
 * Windows) or no FFI permission.
 */
export function trimMalloc(): boolean {
  if (trimFn === undefined) {
    trimFn = null;
    if (Deno.build.os === "linux") {
      try {
        const lib = Deno.dlopen("libc.so.6", {
          malloc_trim: { parameters: ["usize"], result: "i32" },
        });
        trimFn = () => lib.symbols.malloc_trim(0n);
      } catch { /* not glibc, or --allow-ffi not granted */ }
    }
  }
  if (!trimFn) return false;
  trimFn();
  return true;
}

/** Other isolates of this process that collect their own garbage when asked (writer threads). */
const isolates = new Set<() => Promise<void>>();

/** Registers another isolate's collection; returns the function that unregisters it. */
export function onMemoryReturn(collect: () => Promise<void>): () => void {
  isolates.add(collect);
  return () => void isolates.delete(collect);
}

export interface Returned {
  rssBeforeMiB: number;
  rssAfterMiB: number;
  gc: boolean;
  trim: boolean;
  /** Waiting for the other isolates, this isolate's collection (a pause), the trim. */
  othersMs: number;
  gcMs: number;
  trimMs: number;
}

/** The other isolates first (what they free, the trim can return), then this one, then glibc. */
export async function returnMemory(): Promise<Returned> {
  const rssBeforeMiB = Deno.memoryUsage().rss / MIB;
  const t0 = performance.now();
  await Promise.allSettled([...isolates].map((c) => c()));
  const t1 = performance.now();
  const gc = collectGarbage();
  const t2 = performance.now();
  const trim = trimMalloc();
  const t3 = performance.now();
  return {
    rssBeforeMiB,
    rssAfterMiB: Deno.memoryUsage().rss / MIB,
    gc,
    trim,
    othersMs: t1 - t0,
    gcMs: t2 - t1,
    trimMs: t3 - t2,
  };
}

/** Samples RSS every `everyMs` and returns memory when the policy says so. */
export function startMemoryReturn(
  opts: { everyMs?: number; policy?: MemoryPolicyOptions } = {},
): Component {
  const policy = new MemoryPolicy(opts.policy);
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    const now = Date.now();
    if (!policy.sample(now, Deno.memoryUsage().rss / MIB)) return;
    busy = true;
    try {
      const r = await returnMemory();
      policy.returned(Date.now(), r.rssAfterMiB);
      countMemoryReturn(Math.max(0, r.rssBeforeMiB - r.rssAfterMiB) * MIB);
      log.info("memory returned after a burst", {
        rss_before_mib: Math.round(r.rssBeforeMiB),
        rss_after_mib: Math.round(r.rssAfterMiB),
        gc: r.gc,
        trim: r.trim,
        others_ms: Math.round(r.othersMs),
        gc_ms: Math.round(r.gcMs),
        trim_ms: Math.round(r.trimMs),
      });
    } catch (e) {
      log.warn("memory return failed", { err: e });
    } finally {
      busy = false;
    }
  }, opts.everyMs ?? 5_000);
  // Housekeeping only: never the reason a process stays up.
  Deno.unrefTimer(timer);
  return component("memory-return", () => clearInterval(timer));
}
