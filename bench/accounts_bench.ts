/**
 * Password sign-in (issue 15): what argon2id costs per login and whether it leaves the
 * request event loop free.
 *  - login latency through the router: right password, wrong password, unknown user (the
 *    last two must cost the same: a dummy hash is verified for unknown names);
 *  - event-loop lag while 20 logins hash at once (argon2 runs on libuv's thread pool);
 *  - process RSS growth while 20 logins hash at once (m = 19 MiB each);
 *  - 20 concurrent admin edits of the one accounts entry (compare-and-swap retries).
 * The throttle is kept out of the way by moving the server clock past its windows.
 */
import type { BenchContext, BenchRow, BenchSuite } from "./types.ts";
import { median, percentile } from "./types.ts";
import { startTestBackend, type TestBackend } from "../tests/helpers/backend.ts";
import { accountsEnv, createAccount, login } from "../tests/helpers/accounts.ts";
import type { AccountsDeps } from "../lib/accounts/context.ts";

async function loginMs(b: TestBackend, user: string, pw: string, want: number): Promise<number> {
  const t0 = performance.now();
  const r = await login(b, user, pw);
  const ms = performance.now() - t0;
  if (r.status !== want) throw new Error(`login ${user}: ${r.status} ${JSON.stringify(r.body)}`);
  return ms;
}

/** Largest gap between 1 ms timer ticks while `fn` runs: how long the loop was blocked. */
async function maxLoopLag(fn: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let worst = 0;
  const t = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 1);
  try {
    await fn();
  } finally {
    clearInterval(t);
  }
  // A loop blocked to the end never ticked again: count the last gap too.
  return Math.max(worst, performance.now() - last);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function peakRssGrowth(fn: () => Promise<unknown>): Promise<number> {
  const base = Deno.memoryUsage().rss;
  let peak = base;
  const t = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 5);
  try {
    await fn();
  } finally {
    clearInterval(t);
  }
  return (peak - base) / 2 ** 20;
}

export const suite: BenchSuite = {
  name: "accounts",
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const n = ctx.quick ? 10 : 40;
    const runs = ctx.quick ? 3 : 5;
    const b = await startTestBackend({ env: accountsEnv() });
    let shift = 0;
    (b.deps as AccountsDeps).now = () => Date.now() + shift;
    // Failures count against the address (30 a minute) and the name (5 in a row):
    // step past both windows before each batch.
    const freshWindow = () => (shift += 16 * 60_000);
    try {
      await createAccount(b, "bench", "bench-password-1", "operator");
      const right: number[] = [], wrong: number[] = [], unknown: number[] = [];
      for (let i = 0; i < n; i++) {
        if (i % 4 === 0) freshWindow();
        right.push(await loginMs(b, "bench", "bench-password-1", 200));
        wrong.push(await loginMs(b, "bench", "not-the-password", 401));
        unknown.push(await loginMs(b, `nobody-${i}`, "not-the-password", 401));
      }
      ctx.log(`login p50 right ${median(right)} wrong ${median(wrong)} unknown ${median(unknown)}`);
      const lags: number[] = [], idle: number[] = [], rss: number[] = [], burst: number[] = [];
      for (let r = 0; r < runs; r++) {
        freshWindow();
        const t0 = performance.now();
        lags.push(
          await maxLoopLag(() =>
            Promise.all(Array.from({ length: 20 }, () => login(b, "bench", "bench-password-1")))
          ),
        );
        burst.push(performance.now() - t0);
        // The same measure with nothing to do: what the machine's load alone costs.
        idle.push(await maxLoopLag(() => sleep(burst.at(-1)!)));
        rss.push(
          await peakRssGrowth(() =>
            Promise.all(Array.from({ length: 20 }, () => login(b, "bench", "bench-password-1")))
          ),
        );
      }
      const cas: number[] = [];
      for (let r = 0; r < runs; r++) {
        const t0 = performance.now();
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            b.request("/api/accounts/bench", {
              method: "PATCH",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ disabled: i % 2 === 0 }),
            })),
        );
        cas.push(performance.now() - t0);
        for (const a of answers) {
          await a.body?.cancel();
          if (a.status !== 204) throw new Error(`PATCH -> ${a.status}`);
        }
      }
      const ratio = median(unknown) / median(wrong);
      return [
        {
          name: "login, right password (argon2id m=19 MiB, t=2)",
          median: median(right),
          unit: "ms",
          samples: right,
          note: `p95 ${
            percentile(right, 95).toFixed(1)
          } ms; through the router, KV read + throttle`,
        },
        {
          name: "login, wrong password",
          median: median(wrong),
          unit: "ms",
          samples: wrong,
          note: `p95 ${percentile(wrong, 95).toFixed(1)} ms; counts a failure (2 KV CAS) + audit`,
        },
        {
          name: "login, unknown user (dummy hash verified)",
          median: median(unknown),
          unit: "ms",
          samples: unknown,
          target: "within 0.8–1.25× of a wrong password",
          ok: ratio >= 0.8 && ratio <= 1.25,
          note: `${ratio.toFixed(2)}× the wrong-password time`,
        },
        {
          name: "20 concurrent logins: max event-loop lag",
          median: median(lags),
          unit: "ms",
          samples: lags,
          target: "≤ the idle loop's + 50 ms (hashing off the loop)",
          ok: median(lags) <= median(idle) + 50,
          note: `idle loop over the same time: ${median(idle).toFixed(0)} ms; the 20 logins took ${
            median(burst).toFixed(0)
          } ms (2 cores)`,
        },
        {
          name: "20 concurrent logins: peak RSS growth",
          median: median(rss),
          unit: "MiB",
          samples: rss,
          note: "argon2 memory is taken and given back per hash",
        },
        {
          name: "20 concurrent admin edits of the accounts entry (CAS)",
          median: median(cas),
          unit: "ms",
          samples: cas,
          note: "all 20 stored; one KV entry, retries included",
        },
      ];
    } finally {
      await b.stop();
    }
  },
};
