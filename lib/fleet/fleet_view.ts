/**
 * The per-process fleet view: presence (who is alive, followed from the `agents` table) and
 * memberships (KV `agent_groups`, watched), shared by the API routes and the scheduler of
 * one process. Created on first use, kept fresh by a 1 s background poll of the agents
 * table (so a request only reads the rows changed in the last second) and the KV watch;
 * stopped when the process's broker connection closes.
 *
 * Every read first catches up (`presence()` / `memberships()`): an answer reflects every
 * heartbeat batch and membership write committed before the request, as a direct read did.
 * The agents table is also read as soon as a projector announces an agent change
 * (`kanade.changes.agent`, once per heartbeat window): at 100,000 agents a window is 3,333
 * rows, and a request that caught up with them itself paid 10–30 ms for it (the exec's
 * target_count); now it usually finds the view current and reads nothing.
 */
import type { Deps } from "../deps.ts";
import { BUCKET } from "../../wire/names.ts";
import { type BucketFollower, followBucket } from "../kv.ts";
import { Memberships } from "./memberships.ts";
import { ConfigEntries } from "./config_entries.ts";
import { type Presence, PresenceFollower } from "./presence.ts";
import { RolloutView } from "./rollout_view.ts";
import { GroupAlive } from "./group_alive.ts";
import { subscribeChanges } from "../change_feed.ts";

type ViewDeps = Pick<Deps, "db" | "nats" | "log">;

const POLL_MS = 1000;

export class FleetView {
  private readonly follower: PresenceFollower;
  readonly groups = new Memberships();
  private groupsFollower: BucketFollower | null = null;
  readonly configEntries = new ConfigEntries();
  private configFollower: BucketFollower | null = null;
  private rolloutView: RolloutView | null = null;
  private groupAliveView: GroupAlive | null = null;
  private timer: ReturnType<typeof setInterval> | undefined;
  private unsubscribe: (() => void) | null = null;
  private stopped = false;

  constructor(private readonly deps: ViewDeps, private readonly pollMs = POLL_MS) {
    this.follower = new PresenceFollower(deps.db);
    deps.nats.nc.closed().then(() => this.stop());
  }

  /** The presence view, up to date with the agents table. */
  async presence(): Promise<Presence> {
    this.startPolling();
    await this.follower.sync();
    return this.follower.presence;
  }

  /**
   * Loads presence and memberships and builds the per-group counts before the first request
   * needs them (an API process calls it at start): at 100,000 agents the first exec to a
   * group would otherwise pay about 100 ms for them.
   */
  async warm(): Promise<void> {
    await Promise.all([this.presence(), this.memberships()]);
    this.groupAlive().warm();
  }

  /** The presence view as it is now, without catching up (at most one poll behind). */
  presenceNow(): Presence {
    this.startPolling();
    return this.follower.presence;
  }

  /** The membership view, up to date with KV `agent_groups`. */
  async memberships(): Promise<Memberships> {
    this.groupsFollower ??= followBucket(
      this.deps.nats,
      BUCKET.agentGroups,
      this.groups,
      this.deps.log,
    );
    await this.groupsFollower.catchUp();
    return this.groups;
  }

  /** KV `agent_config` (the config scopes), up to date with the bucket. */
  async config(): Promise<ConfigEntries> {
    this.configFollower ??= followBucket(
      this.deps.nats,
      BUCKET.agentConfig,
      this.configEntries,
      this.deps.log,
    );
    await this.configFollower.catchUp();
    return this.configEntries;
  }

  /**
   * Rollout tallies kept up to date as presence and memberships change (created on first
   * use; call `presence()` and `memberships()` before reading it).
   */
  rollout(): RolloutView {
    return this.rolloutView ??= new RolloutView(this.follower.presence, this.groups);
  }

  /**
   * Alive members per group, kept up to date as presence and memberships change (created on
   * first use; call `presence()` and `memberships()` before reading it).
   */
  groupAlive(): GroupAlive {
    return this.groupAliveView ??= new GroupAlive(this.follower.presence, this.groups);
  }

  private startPolling() {
    if (this.timer !== undefined || this.stopped) return;
    const poll = () => {
      if (this.stopped) return;
      this.follower.sync().catch((e) =>
        this.deps.log.warn("fleet view: agents poll failed", { err: String(e) })
      );
    };
    const timer = setInterval(poll, this.pollMs);
    // Housekeeping only: never the reason a process stays up.
    Deno.unrefTimer(timer);
    this.timer = timer;
    this.unsubscribe = subscribeChanges(this.deps.nats, (e) => {
      if (e.kind === "agent") poll();
    });
  }

  stop() {
    this.stopped = true;
    clearInterval(this.timer);
    this.unsubscribe?.();
    this.groupsFollower?.stop();
    this.configFollower?.stop();
    this.rolloutView?.stop();
    this.groupAliveView?.stop();
  }
}

const views = new WeakMap<object, FleetView>();

/** The fleet view of the process that owns `deps` (one per database handle). */
export function fleetView(deps: ViewDeps): FleetView {
  let v = views.get(deps.db);
  if (!v) views.set(deps.db, v = new FleetView(deps));
  return v;
}
