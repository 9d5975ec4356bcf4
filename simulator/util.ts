/** Small helpers every simulator module uses (no I/O beyond timers and WebCrypto). */

export const te = new TextEncoder();
export const td = new TextDecoder();

/** mulberry32: small deterministic PRNG so `seed` reproduces a run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a string, 32 bits: a draw fixed by its key (same PC, same answer every run). */
export function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A uniform draw in [0, 1) fixed by its key. */
export function keyedDraw(key: string): number {
  return fnv(key) / 2 ** 32;
}

/** A behaviour flag's share value, 0..1; anything else throws naming the flag. */
export function shareValue(flag: string, text: string): number {
  const v = Number(text);
  if (text.trim() === "" || !(v >= 0 && v <= 1)) {
    throw new Error(`${flag}: must be 0..1, got ${text}`);
  }
  return v;
}

export async function sha256Hex(data: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Keep the last `cap` items of an array in place. */
export function pushCapped<T>(arr: T[], item: T, cap: number) {
  arr.push(item);
  if (arr.length > cap) arr.splice(0, arr.length - cap);
}

/** A lazy promise: `f` runs on the first call, later calls share its result. */
export function memo<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= f());
}
