/**
 * A change counter plus per-PC change callbacks: what the fleet's in-memory views
 * (presence, memberships) offer the views derived from them (caches compare `changes`; the
 * rollout view is told which PC changed, or null when everything may have).
 */
export class ChangeWatchers {
  /** Bumped by every change (derived caches compare it). */
  changes = 0;
  private watchers: ((pcId: string | null) => void)[] = [];

  /** Call `fn` after every change with the PC's id (null: all of them); returns an unwatch. */
  watch(fn: (pcId: string | null) => void): () => void {
    this.watchers.push(fn);
    return () => this.watchers = this.watchers.filter((w) => w !== fn);
  }

  protected changed(pcId: string | null) {
    this.changes++;
    for (const w of this.watchers) w(pcId);
  }
}
