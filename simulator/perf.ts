/**
 * Perf sampling of one simulated agent (protocol.md §4.9–§4.10): `host_perf.<pc>` every
 * `host_perf_interval`, plus `process_perf.<pc>` (top-N processes) while
 * `process_perf_enabled` and not expired. Numbers are a plausible random walk; phases are
 * spread over the interval.
 */
import type { EffectiveConfig } from "../wire/config_scope.ts";
import { parseDurationMs } from "../wire/duration.ts";
import { subjects } from "../wire/names.ts";
import { encodeHostPerf, encodeProcessPerf } from "../wire/perf.ts";
import { wireTs } from "../wire/time.ts";
import type { Agent } from "./agent.ts";

const PROCESS_NAMES = [
  "System",
  "svchost.exe",
  "MsMpEng.exe",
  "explorer.exe",
  "chrome.exe",
  "msedge.exe",
  "Teams.exe",
  "OneDrive.exe",
  "SearchIndexer.exe",
  "dwm.exe",
  "kanade-agent.exe",
  "OUTLOOK.EXE",
  "WINWORD.EXE",
  "EXCEL.EXE",
  "spoolsv.exe",
  "lsass.exe",
  "csrss.exe",
  "services.exe",
  "winlogon.exe",
  "RuntimeBroker.exe",
  "audiodg.exe",
  "TiWorker.exe",
];

export class PerfSampler {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private intervalMs = 0;
  private eff: EffectiveConfig | null = null;
  private state: { cpu: number; memTotal: number; memUsed: number; cpus: number } | null = null;

  constructor(private readonly agent: Agent) {}

  configure(eff: EffectiveConfig) {
    this.eff = eff;
    let ms = 60_000;
    try {
      ms = Math.max(100, parseDurationMs(eff.host_perf_interval));
    } catch { /* keep the default */ }
    if (ms === this.intervalMs && this.timer !== undefined) return;
    this.intervalMs = ms;
    clearTimeout(this.timer);
    const fleet = this.agent.fleet;
    const tick = () => {
      if (fleet.stopped) return;
      this.publish();
      this.timer = setTimeout(tick, this.intervalMs);
    };
    this.timer = setTimeout(tick, Math.floor(fleet.rand() * ms));
  }

  stop() {
    clearTimeout(this.timer);
  }

  private publish() {
    const a = this.agent;
    if (!a.online || a.link.nc.isClosed() || !this.eff) return;
    const r = a.fleet.rand;
    const st = this.state ??= {
      cpu: 5 + r() * 20,
      cpus: r() < 0.5 ? 4 : 8,
      memTotal: (r() < 0.5 ? 8 : 16) * 2 ** 30,
      memUsed: 0.5,
    };
    st.cpu = Math.min(100, Math.max(0.5, st.cpu + (r() - 0.5) * 10));
    st.memUsed = Math.min(0.95, Math.max(0.2, st.memUsed + (r() - 0.5) * 0.05));
    const at = wireTs(Date.now());
    const round = (x: number) => Math.round(x * 10) / 10;
    try {
      a.link.nc.publish(
        subjects.hostPerf(a.pcId),
        JSON.stringify(encodeHostPerf({
          pc_id: a.pcId,
          at,
          cpu_pct: round(st.cpu),
          cpu_count: st.cpus,
          mem_used_bytes: Math.round(st.memTotal * st.memUsed),
          mem_total_bytes: st.memTotal,
          swap_used_bytes: Math.round(2 ** 30 * r()),
          swap_total_bytes: 4 * 2 ** 30,
          disk_read_bytes_per_sec: round(r() * 5e6),
          disk_written_bytes_per_sec: round(r() * 2e6),
          net_rx_bytes_per_sec: round(r() * 1e6),
          net_tx_bytes_per_sec: round(r() * 3e5),
        })),
      );
      const eff = this.eff;
      const expires = eff.process_perf_expires_at ? Date.parse(eff.process_perf_expires_at) : NaN;
      if (eff.process_perf_enabled && !(expires <= Date.now())) {
        const processes = PROCESS_NAMES.map((name, i) => ({
          pid: 400 + i * 4,
          name,
          cpu_pct: round(r() * st.cpu),
          rss_bytes: Math.round((20 + r() * 400) * 2 ** 20),
          disk_read_bytes_per_sec: round(r() * 1e5),
          disk_written_bytes_per_sec: round(r() * 5e4),
        })).sort((a, b) => b.cpu_pct - a.cpu_pct).slice(0, eff.process_perf_top_n);
        a.link.nc.publish(
          subjects.processPerf(a.pcId),
          JSON.stringify(encodeProcessPerf({ pc_id: a.pcId, at, processes })),
        );
      }
    } catch { /* disconnected: the next tick tries again */ }
  }
}
