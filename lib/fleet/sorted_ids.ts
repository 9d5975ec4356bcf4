/**
 * A set of ids kept in ascending (UTF-16 code unit) order, as short sorted chunks.
 *
 * Why chunks: the rollout view lists the first N agents of a set that changes one agent at a
 * time (an agent upgrades, joins a group). One sorted array costs O(set) per insert or delete
 * (a 100,000-entry splice); re-sorting a Set per request is O(set log set). Chunks of at most
 * 2 × CHUNK ids make add/delete O(log chunks + CHUNK) and reading the first N ids O(N).
 */
const CHUNK = 512;

/** Index of the first element >= x in an ascending array. */
export function lowerBound<T>(xs: readonly T[], x: T): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class SortedIds {
  private chunks: string[][] = [];
  private n = 0;

  get size(): number {
    return this.n;
  }

  /** The chunk that holds or would hold `id`: the first whose last id is >= it, else the last. */
  private chunkOf(id: string): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.chunks[mid];
      if (c[c.length - 1] < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Adds `id`; false when it was already there. */
  add(id: string): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([id]);
      this.n = 1;
      return true;
    }
    const ci = this.chunkOf(id);
    const c = this.chunks[ci];
    const i = lowerBound(c, id);
    if (c[i] === id) return false;
    c.splice(i, 0, id);
    this.n++;
    if (c.length > 2 * CHUNK) this.chunks.splice(ci + 1, 0, c.splice(CHUNK));
    return true;
  }

  /** Removes `id`; false when it was not there. */
  delete(id: string): boolean {
    if (this.chunks.length === 0) return false;
    const ci = this.chunkOf(id);
    const c = this.chunks[ci];
    const i = lowerBound(c, id);
    if (c[i] !== id) return false;
    c.splice(i, 1);
    this.n--;
    if (c.length === 0) this.chunks.splice(ci, 1);
    return true;
  }

  clear() {
    this.chunks = [];
    this.n = 0;
  }

  /** Every id, ascending (stop early to read the first N in O(N)). */
  *values(): Generator<string> {
    for (const c of this.chunks) yield* c;
  }
}
