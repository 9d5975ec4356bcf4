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
  let total = 0;
  let known = true;
  const read = threadFiles(pid, "schedstat", (_tid, text) => {
    const w = parseSchedstatWaitSecs(text);
    if (w === null) known = false;
    else total += w;
  });
  return read && known ? total : null;
}

/**
 * Calls `fn` with the text of /proc/<pid>/task/<tid>/<file> for each thread of `pid`
 * (threads that end meanwhile are skipped); false where /proc is unreadable.
 */
function threadFiles(
  pid: number | "self",
  file: string,
  fn: (tid: number, text: string) => void,
): boolean {
  try {
    for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
      let text: string;
      try {
        text = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/${file}`);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) continue; // the thread ended meanwhile
        throw e;
      }
      fn(Number(t.name), text);
    }
    return true;
  } catch {
    return false;
  }
}

/** Pure: the thread or process name (field 2, between the first "(" and the last ")"). */
export function parseStatComm(stat: string): string {
  return stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
}

/** What a thread of a Deno process does, by its name (the kernel keeps 15 characters). */
export type ThreadRole = "main" | "workers" | "v8" | "other";

/**
 * Pure: the main thread (its id is the process's), a web worker (`worker-N`: in the backend,
 * the results writer and the WAL checkpointer), one of V8's helpers (`V8 DefaultWorker`:
 * concurrent and parallel GC, background compilation), or anything else (the runtime's I/O).
 */
export function threadRole(tid: number, pid: number, comm: string): ThreadRole {
  if (tid === pid) return "main";
  if (comm.startsWith("worker-")) return "workers";
  if (comm.startsWith("V8 ")) return "v8";
  return "other";
}

/**
 * CPU seconds of the threads of `pid` by role (threads that ended are missing, so take the
 * difference of two calls only for long-lived threads); null where /proc is unreadable.
 */
export function threadCpuSecs(pid: number): Record<ThreadRole, number> | null {
  const out: Record<ThreadRole, number> = { main: 0, workers: 0, v8: 0, other: 0 };
  const read = threadFiles(pid, "stat", (tid, stat) => {
    out[threadRole(tid, pid, parseStatComm(stat))] += parseStatCpuSecs(stat);
  });
  return read ? out : null;
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
