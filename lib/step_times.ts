/**
 * Durations of the named steps of one request, for the `Server-Timing` response header
 * and the request's log line. Why: a slow answer at fleet scale (an exec to 50,000 PCs
 * during a result burst) must say which step was slow (target resolution, the DB row, the
 * JetStream record, the publish) without a profiler on the production box.
 */
export class StepTimes {
  private last = performance.now();
  readonly steps: { name: string; ms: number }[] = [];

  /** Ends the step running since the previous mark (or the start). */
  mark(name: string) {
    const now = performance.now();
    this.steps.push({ name, ms: now - this.last });
    this.last = now;
  }

  /**
   * Times `work` from now until it settles, for steps that run concurrently (the exec
   * resolves its target while the job is looked up and the version pinned). The entry takes
   * its place in start order; the next `mark` times from the latest end, so a sequential
   * step after concurrent ones does not count their time again.
   */
  async span<T>(name: string, work: Promise<T>): Promise<T> {
    const start = performance.now();
    const entry = { name, ms: 0 };
    this.steps.push(entry);
    try {
      return await work;
    } finally {
      const end = performance.now();
      entry.ms = end - start;
      this.last = Math.max(this.last, end);
    }
  }

  /** `name;dur=1.2, …` (RFC: W3C Server Timing); names are fixed tokens of the caller. */
  header(): string {
    return this.steps.map((s) => `${s.name};dur=${s.ms.toFixed(1)}`).join(", ");
  }

  /** `{name: ms}` rounded to 0.1 ms, for a log line. */
  record(): Record<string, number> {
    return Object.fromEntries(this.steps.map((s) => [s.name, Math.round(s.ms * 10) / 10]));
  }
}
