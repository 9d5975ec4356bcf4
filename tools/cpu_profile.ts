/**
 * Sample a running Deno process's CPU through its inspector (started with
 * `--inspect=127.0.0.1:<port>`) and print where the time went: self time per function and
 * per source file, top first. Deno has no `--cpu-prof`; this speaks the DevTools protocol's
 * Profiler domain over the inspector's WebSocket instead.
 *
 *   deno run -A tools/cpu_profile.ts --port 9302 --secs 20 [--out sim.cpuprofile] [--top 40]
 *
 * The `.cpuprofile` file opens in Chrome DevTools (Performance → Load profile).
 */
import { parseArgs } from "node:util";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Pure: self milliseconds per key (function or file), largest first. */
export function selfTimes(
  p: CpuProfile,
  keyOf: (f: CallFrame) => string,
): [string, number][] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const ms = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const node = byId.get(p.samples[i]);
    if (!node) continue;
    const k = keyOf(node.callFrame);
    ms.set(k, (ms.get(k) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  }
  return [...ms].sort((a, b) => b[1] - a[1]);
}

function shortUrl(url: string): string {
  const npm = url.match(/node_modules\/\.deno\/([^/]+)\/node_modules\/(.+)$/);
  if (npm) return `npm:${npm[2]}`;
  const cwd = `file://${Deno.cwd()}/`;
  return url.startsWith(cwd) ? url.slice(cwd.length) : url || "(native)";
}

async function profile(port: number, secs: number, intervalUs: number): Promise<CpuProfile> {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as {
    webSocketDebuggerUrl: string;
  }[];
  if (!targets.length) throw new Error(`no inspector target on port ${port}`);
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((ok, fail) => {
    ws.onopen = ok;
    ws.onerror = fail;
  });
  let next = 1;
  const waiting = new Map<number, (r: unknown) => void>();
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data as string) as { id?: number; result?: unknown };
    if (m.id !== undefined) waiting.get(m.id)?.(m.result);
  };
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((ok) => {
      const id = next++;
      waiting.set(id, ok);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: intervalUs });
  await call("Profiler.start");
  await new Promise((r) => setTimeout(r, secs * 1000));
  const { profile } = await call("Profiler.stop") as { profile: CpuProfile };
  ws.close();
  return profile;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string" },
      secs: { type: "string", default: "10" },
      out: { type: "string" },
      top: { type: "string", default: "30" },
      "interval-us": { type: "string", default: "500" },
    },
  });
  if (!values.port) {
    console.error("usage: tools/cpu_profile.ts --port N [--secs S] [--out f.cpuprofile] [--top N]");
    Deno.exit(2);
  }
  const p = await profile(Number(values.port), Number(values.secs), Number(values["interval-us"]));
  if (values.out) await Deno.writeTextFile(values.out, JSON.stringify(p));
  const top = Number(values.top);
  const total = p.timeDeltas.reduce((a, b) => a + b, 0) / 1000;
  const fmt = ([k, v]: [string, number]) =>
    `${v.toFixed(0).padStart(8)} ms ${(v / total * 100).toFixed(1).padStart(5)} %  ${k}`;
  console.log(`sampled ${total.toFixed(0)} ms; self time by function:`);
  const byFn = selfTimes(
    p,
    (f) => `${f.functionName || "(anonymous)"} ${shortUrl(f.url)}:${f.lineNumber + 1}`,
  );
  for (const row of byFn.slice(0, top)) console.log(fmt(row));
  console.log("self time by file:");
  for (const row of selfTimes(p, (f) => shortUrl(f.url)).slice(0, top)) console.log(fmt(row));
}
