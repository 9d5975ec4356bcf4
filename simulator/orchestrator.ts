/**
 * Several simulator processes started by one command: each child runs a slice of the agent
 * ids (`--slice start:end`) with the same options; the parent forwards their log lines,
 * waits until every child is up, and prints one combined stats line (counters summed, CPU
 * and RSS of every simulator process including itself). SIGINT/SIGTERM stop every child;
 * a child that dies takes the others down and the parent exits 1.
 */
import { type CliOptions, slices } from "./cli_args.ts";
import { UsageMeter } from "./self_report.ts";

const STATS_LINE = /^fleet: (\{.*\})$/;
const READY_LINE = /^fleet: \d+ agents up in /;

/** Pure: one stats object from the children's latest ones (numbers summed). */
export function sumStats(parts: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of parts) {
    for (const [k, v] of Object.entries(p)) {
      if (typeof v === "number" && k !== "cpu_pct" && k !== "rss_mib") out[k] = (out[k] ?? 0) + v;
    }
  }
  return out;
}

async function readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  let buf = "";
  const dec = new TextDecoder();
  for await (const chunk of stream) {
    buf += dec.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  }
  if (buf) onLine(buf);
}

export async function runProcesses(o: CliOptions, args: string[], n: number): Promise<number> {
  const t0 = Date.now();
  const main = new URL("./main.ts", import.meta.url).pathname;
  // The children get the same arguments minus --processes, plus their slice.
  const base: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--processes") i++;
    else if (!args[i].startsWith("--processes=")) base.push(args[i]);
  }
  const children = slices(o.agents, n).map(([start, end], idx) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", main, ...base, "--slice", `${start}:${end}`],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    return {
      idx,
      child,
      stats: null as Record<string, number> | null,
      ready: false,
      tail: [] as string[],
    };
  });
  let resolveReady!: () => void;
  const allReady = new Promise<void>((r) => resolveReady = r);
  let failed = false;
  let stopping = false;
  const stopAll = async () => {
    for (const c of children) {
      try {
        c.child.kill("SIGTERM");
      } catch { /* already gone */ }
    }
    const grace = setTimeout(() => {
      for (const c of children) {
        try {
          c.child.kill("SIGKILL");
        } catch { /* already gone */ }
      }
    }, 10_000);
    await Promise.allSettled(children.map((c) => c.child.status));
    clearTimeout(grace);
  };
  const done = Promise.all(children.map(async (c) => {
    await readLines(c.child.stderr, (line) => {
      c.tail.push(line);
      if (c.tail.length > 20) c.tail.shift();
      const m = STATS_LINE.exec(line);
      if (m) {
        try {
          c.stats = JSON.parse(m[1]);
        } catch { /* partial line */ }
        return;
      }
      if (READY_LINE.test(line)) {
        c.ready = true;
        if (children.every((x) => x.ready)) resolveReady();
        return;
      }
      console.error(`fleet[${c.idx + 1}/${n}] ${line}`);
    }).catch(() => {});
    const st = await c.child.status;
    if (!stopping && !failed) {
      failed = true;
      console.error(`fleet: process ${c.idx + 1}/${n} exited with ${st.code}; stopping the others`);
      stopping = true;
      await stopAll();
      resolveReady();
    }
  }));

  const meter = new UsageMeter();
  const report = () => {
    const usage = meter.read(["self", ...children.map((c) => c.child.pid)]);
    const parts = children.map((c) => c.stats).filter((s): s is Record<string, number> => !!s);
    console.error(`fleet: ${JSON.stringify({ ...sumStats(parts), processes: n, ...usage })}`);
  };
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await stopAll();
    Deno.exit(failed ? 1 : 0);
  };
  Deno.addSignalListener("SIGINT", shutdown);
  Deno.addSignalListener("SIGTERM", shutdown);

  await allReady;
  if (failed) {
    await done;
    return 1;
  }
  meter.read(["self", ...children.map((c) => c.child.pid)]);
  console.error(
    `fleet: ${o.agents} agents up in ${Date.now() - t0} ms against ${o.natsUrl} (${n} processes)`,
  );
  const timer = setInterval(report, o.reportMs);
  await done;
  clearInterval(timer);
  return failed ? 1 : 0;
}
