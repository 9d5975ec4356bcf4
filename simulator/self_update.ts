/**
 * Self-update like the real agent: when the effective `target_version` differs from the
 * running version, wait a random delay in [0, target_version_jitter), check the release
 * exists in `agent_releases`, then "restart" on it (next heartbeats carry the new version).
 * The binary is not downloaded (thousands of simulated agents would pull gigabytes).
 */
import type { EffectiveConfig } from "../wire/config_scope.ts";
import { parseDurationMs } from "../wire/duration.ts";
import { OBJECT_STORE } from "../wire/names.ts";
import type { Agent } from "./agent.ts";

export class SelfUpdater {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pendingTarget: string | null = null;
  private retrying = false;

  constructor(private readonly agent: Agent) {}

  consider(eff: EffectiveConfig) {
    const target = eff.target_version;
    if (!target || target === this.agent.version) {
      clearTimeout(this.timer);
      this.pendingTarget = null;
      return;
    }
    // Already waiting out the jitter for this target; a failed attempt is retried at once.
    if (this.pendingTarget === target && !this.retrying) return;
    this.pendingTarget = target;
    this.retrying = false;
    clearTimeout(this.timer);
    let jitterMs = 0;
    try {
      jitterMs = parseDurationMs(eff.target_version_jitter);
    } catch { /* unparseable jitter: update at once */ }
    this.timer = setTimeout(
      () => this.update(target),
      Math.floor(this.agent.fleet.rand() * jitterMs),
    );
  }

  stop() {
    clearTimeout(this.timer);
  }

  private async update(target: string) {
    const a = this.agent;
    if (a.fleet.stopped || this.pendingTarget !== target) return;
    const retry = (ms: number) => {
      this.retrying = true;
      this.timer = setTimeout(() => this.update(target), ms);
    };
    if (!a.online) return retry(1000);
    const os = await a.link.obj(OBJECT_STORE.agentReleases);
    const info = os ? await os.info(target).catch(() => null) : null;
    if (!info || info.deleted) {
      a.log("WARN", `self-update: release ${target} not in ${OBJECT_STORE.agentReleases}`);
      return retry(30_000);
    }
    if (a.fleet.stopped || this.pendingTarget !== target) return;
    a.log("INFO", `self-update ${a.version} -> ${target}; restarting`);
    a.version = target;
    this.pendingTarget = null;
    this.retrying = false;
    a.fleet.counters.selfUpdates++;
    if (a.hb.running) a.hb.schedule(0); // the new version reports at once
  }
}
