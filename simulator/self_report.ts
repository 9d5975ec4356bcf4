/**
 * The simulator's own CPU and memory, so a benchmark can read the backend's figures apart
 * from the load generator's: CPU from `/proc/<pid>/stat` (user + system ticks) and RSS from
 * `/proc/<pid>/status`. Linux only; elsewhere the figures are null.
 */

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on every Linux we run on). */
const USER_HZ = 100;

export interface ProcSample {
  /** CPU time (user + system) in seconds. */
  cpuSecs: number;
  rssBytes: number;
  atMs: number;
}

/** Pure: user + system seconds from the text of /proc/<pid>/stat. */
export function parseStatCpuSecs(stat: string): number {
  // The command name (field 2) may hold spaces and parentheses: fields after its last ')'.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  return (Number(rest[11]) + Number(rest[12])) / USER_HZ;
}

/** Pure: VmRSS in bytes from the text of /proc/<pid>/status. */
export function parseStatusRss(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/**
 * Pure: seconds a thread spent runnable but waiting for a CPU, from the text of
 * /proc/<pid>/task/<tid>/schedstat (time on the CPU, time waiting on a run queue, and the
 * number of time slices; both times in nanoseconds). Null when the text is not that.
 */
export function parseSchedstatWaitSecs(schedstat: string): number | null {
  const f = schedstat.trim().split(/\s+/);
  const wait = Number(f[1]);
  return f.length >= 3 && Number.isFinite(wait) ? wait / 1e9 : null;
}

/**
 * Seconds the threads of `pid` have spent waiting for a CPU while runnable, summed; null
 * where the kernel does not say (no schedstat). On a box with more busy threads than cores
 * it tells a process starved of CPU from one doing slow work.
 */
export function procWaitSecs(pid: number | "self" = "self"): number | null {
  try {
    let total = 0;
    for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
      try {
        const w = parseSchedstatWaitSecs(
          Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/schedstat`),
        );
        if (w === null) return null;
        total += w;
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) continue; // the thread ended meanwhile
        throw e;
      }
    }
    return total;
  } catch {
    return null;
  }
}

export function sampleProc(pid: number | "self" = "self"): ProcSample | null {
  try {
    return {
      cpuSecs: parseStatCpuSecs(Deno.readTextFileSync(`/proc/${pid}/stat`)),
      rssBytes: parseStatusRss(Deno.readTextFileSync(`/proc/${pid}/status`)),
      atMs: performance.now(),
    };
  } catch {
    return null;
  }
}

/** CPU use between two samples in % of one core (200 = two cores busy). */
export function cpuPct(a: ProcSample, b: ProcSample): number {
  const wall = (b.atMs - a.atMs) / 1000;
  return wall > 0 ? Math.round(((b.cpuSecs - a.cpuSecs) / wall) * 1000) / 10 : 0;
}

/** Tracks a set of processes between reports: CPU % over the interval and RSS now. */
export class UsageMeter {
  private last = new Map<number | "self", ProcSample>();

  /** Summed over `pids`: CPU % since the previous call and current RSS in MiB. */
  read(pids: (number | "self")[]): { cpu_pct: number | null; rss_mib: number | null } {
    let cpu = 0;
    let rss = 0;
    let any = false;
    for (const pid of pids) {
      const now = sampleProc(pid);
      if (!now) continue;
      any = true;
      const prev = this.last.get(pid);
      if (prev) cpu += cpuPct(prev, now);
      this.last.set(pid, now);
      rss += now.rssBytes;
    }
    if (!any) return { cpu_pct: null, rss_mib: null };
    return { cpu_pct: Math.round(cpu * 10) / 10, rss_mib: Math.round(rss / 2 ** 20) };
  }
}
