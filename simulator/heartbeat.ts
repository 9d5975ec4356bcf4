/**
 * Heartbeats of one simulated agent (protocol.md §4.4): the body, with the agent's own
 * CPU/RSS/disk counters as a plausible random walk, and the timer that sends it at the
 * effective `heartbeat_interval`.
 */
import { encodeHeartbeat, type Heartbeat } from "../wire/messages.ts";
import { subjects } from "../wire/names.ts";
import { wireTs } from "../wire/time.ts";
import type { Agent } from "./agent.ts";
import type { Due } from "./beat_clock.ts";

export const DEFAULT_INTERVAL_MS = 30_000;

/** The beats of one agent, timed by its process's beat clock (beat_clock.ts). */
export class Heartbeats implements Due {
  intervalMs = DEFAULT_INTERVAL_MS;
  sent = 0;
  private armed = false;
  private nextBeatAt = 0;
  private rss = 40_000_000;
  private diskRead = 0;
  private diskWritten = 0;

  constructor(private readonly agent: Agent) {}

  /** True while a beat is armed (the agent is online and started). */
  get running(): boolean {
    return this.armed;
  }

  body(withPerf: boolean): Heartbeat {
    const a = this.agent;
    const hb: Heartbeat = {
      pc_id: a.pcId,
      at: wireTs(Date.now()),
      agent_version: a.version,
      hostname: a.pcId,
      os_family: "windows",
    };
    if (withPerf && this.sent > 0) {
      const r = a.fleet.rand;
      this.rss = Math.max(20_000_000, this.rss + Math.round((r() - 0.5) * 1_000_000));
      this.diskRead += Math.round(r() * 65536);
      this.diskWritten += Math.round(r() * 32768);
      hb.agent_cpu_pct = Math.round(r() * 30) / 10;
      hb.agent_rss_bytes = this.rss;
      hb.agent_disk_read_bytes = this.diskRead;
      hb.agent_disk_written_bytes = this.diskWritten;
    }
    return hb;
  }

  send() {
    const a = this.agent;
    if (!a.online || a.fleet.stopped || a.link.nc.isClosed()) return;
    try {
      a.link.nc.publish(
        subjects.heartbeat(a.pcId),
        JSON.stringify(encodeHeartbeat(this.body(true))),
      );
      this.sent++;
      a.fleet.counters.heartbeats++;
    } catch { /* disconnected: the next beat will try again */ }
  }

  /** (Re)arm the beat: the next one no later than one interval from now. */
  schedule(firstDelayMs?: number) {
    const fleet = this.agent.fleet;
    if (fleet.stopped) return;
    const now = Date.now();
    const interval = this.intervalMs;
    let due = firstDelayMs !== undefined ? now + firstDelayMs : now + interval;
    if (firstDelayMs === undefined && this.nextBeatAt > now) {
      due = Math.min(this.nextBeatAt, now + interval);
    }
    this.nextBeatAt = due;
    this.armed = true;
    fleet.beatClock.at(this, due);
  }

  /** The clock's call when the beat is due: send it and arm the next one. */
  fire() {
    const fleet = this.agent.fleet;
    this.armed = false;
    const first = this.sent === 0;
    this.send();
    // Real agents boot at random moments: after the boot beat, move to a random phase of
    // the interval, then jitter ±5 % so thousands of agents never beat in lock-step.
    const j = first ? 0.05 + 0.95 * fleet.rand() : 1 + (fleet.rand() - 0.5) / 10;
    this.nextBeatAt = 0;
    this.schedule(Math.max(10, Math.round(this.intervalMs * j)));
  }

  /** A new interval from the effective config; re-arms a running beat. */
  setInterval(ms: number) {
    if (ms === this.intervalMs) return;
    this.intervalMs = ms;
    if (this.agent.online && this.running) this.schedule();
  }

  stop() {
    this.agent.fleet.beatClock.cancel(this);
    this.armed = false;
  }
}
