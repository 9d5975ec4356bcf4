/**
 * Churn: agents going offline and coming back, as a real fleet does all day (laptops closed,
 * reboots, flaky Wi-Fi). About `fraction` of the fleet is offline at any time, each stint
 * lasting `minOffMs`..`maxOffMs`; an agent coming back replays the commands it missed.
 *
 * One timer for the whole fleet, and the return schedule holds only the agents that are
 * offline now, so memory stays bounded whatever the fleet size and run time.
 */

export interface ChurnFleet {
  pcIds: string[];
  agent(pcId: string): { online: boolean };
  setOnline(pcId: string, online: boolean): void;
}

export interface ChurnOptions {
  /** Share of the fleet offline at any time, 0..1. */
  fraction: number;
  minOffMs?: number;
  maxOffMs?: number;
  tickMs?: number;
  rand?: () => number;
}

export interface ChurnStats {
  offline: number;
  left: number;
  returned: number;
}

export class Churn {
  readonly stats: ChurnStats = { offline: 0, left: 0, returned: 0 };
  private due = new Map<number, string[]>();
  private tickNo = 0;
  private carry = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly minOff: number;
  private readonly maxOff: number;
  private readonly tickMs: number;
  private readonly rand: () => number;

  constructor(private readonly fleet: ChurnFleet, private readonly o: ChurnOptions) {
    this.minOff = o.minOffMs ?? 10_000;
    this.maxOff = Math.max(this.minOff, o.maxOffMs ?? 60_000);
    this.tickMs = o.tickMs ?? 1000;
    this.rand = o.rand ?? Math.random;
  }

  start() {
    this.timer ??= setInterval(() => this.tick(), this.tickMs);
  }

  /** Stop leaving; agents offline now stay offline (the fleet is stopping). */
  stop() {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Leaves per tick that keep `fraction` offline at the mean stint length (Little's law). */
  leavesPerTick(): number {
    const meanOff = (this.minOff + this.maxOff) / 2;
    return (this.o.fraction * this.fleet.pcIds.length * this.tickMs) / meanOff;
  }

  tick() {
    this.tickNo++;
    for (const pc of this.due.get(this.tickNo) ?? []) {
      this.fleet.setOnline(pc, true);
      this.stats.returned++;
      this.stats.offline--;
    }
    this.due.delete(this.tickNo);
    this.carry += this.leavesPerTick();
    const ids = this.fleet.pcIds;
    let leaves = Math.floor(this.carry);
    this.carry -= leaves;
    // Random picks; one already offline is skipped (bounded tries, never a scan of the fleet).
    for (let tries = leaves * 4; leaves > 0 && tries > 0 && ids.length; tries--) {
      const pc = ids[Math.floor(this.rand() * ids.length)];
      if (!this.fleet.agent(pc).online) continue;
      this.fleet.setOnline(pc, false);
      const offMs = this.minOff + this.rand() * (this.maxOff - this.minOff);
      const at = this.tickNo + Math.max(1, Math.round(offMs / this.tickMs));
      const list = this.due.get(at);
      if (list) list.push(pc);
      else this.due.set(at, [pc]);
      this.stats.left++;
      this.stats.offline++;
      leaves--;
    }
  }
}
