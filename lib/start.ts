/**
 * The one start-up path of every backend process: `main.ts`, `deno serve` of one handler
 * file (`handlers/standalone.ts`) and of the whole API (`handlers/serve_all.ts`) all call
 * `startComponents`. It checks an API's auth configuration, starts the dev broker when
 * asked, creates the deps (NATS, JetStream bootstrap, DB, migrations), prepares them (the
 * accounts bootstrap), starts the wanted components in order (and the process's memory return,
 * lib/memory_return.ts), and owns the shutdown: on SIGINT or SIGTERM (or `stop()`) the
 * components stop in reverse order (the API first: no new requests), then NATS and the DB
 * close, then the dev broker.
 *
 * The components above lib/ (API, projectors, scheduler) are handed in by the entrypoint as
 * starters, so that lib/ imports nothing above it.
 */
import { type Config, isLoopback, splitBind } from "./config.ts";
import { assertAuthConfigured } from "./auth.ts";
import { ConfigError } from "./errors.ts";
import { closeDeps, createDeps, type CreateDepsOptions, type Deps } from "./deps.ts";
import type { Component } from "./component.ts";
import { ensureDevBroker } from "./dev_broker.ts";
import { log } from "./log.ts";
import { withTimeout } from "../util/retry.ts";
import { startMemoryReturn } from "./memory_return.ts";

/** Starts one component on the process's deps. */
export type Starter = (deps: Deps) => Component | Promise<Component>;

export interface StartOptions {
  /**
   * This process answers HTTP, so its auth configuration is checked first: `listen` is
   * main.ts's own listener (auth disabled only on a loopback bind, unless
   * `--insecure-bind`); `serve` is `deno serve`, which binds every interface unless told
   * otherwise (auth disabled only with KANADE_INSECURE_BIND=1). Default: no HTTP.
   */
  api?: "listen" | "serve";
  /** `deno task dev`: start a local nats-server when nothing answers (default false). */
  devBroker?: boolean;
  /** How the deps are created (default: bootstrap JetStream and migrate the DB). */
  deps?: CreateDepsOptions;
  /**
   * Runs on the new deps before any component starts (the accounts bootstrap of an API
   * process); a failure unwinds the start like a failed component.
   */
  prepare?: (deps: Deps) => Promise<void>;
  /** Stop on SIGINT and SIGTERM (default true; in-process tests pass false). */
  signals?: boolean;
  /** How long each component gets to stop before shutdown goes on without it. */
  stopGraceMs?: number;
}

/** Default of `StartOptions.stopGraceMs`. */
export const COMPONENT_STOP_GRACE_MS = 15_000;

export interface Running {
  deps: Deps;
  /**
   * The started components, in start order; stopped in reverse. A component started later
   * (a test's own listener) may be pushed here to stop with the others.
   */
  components: Component[];
  /** Stop everything (idempotent); resolves once stopped. */
  stop(reason?: string): Promise<void>;
  /** Resolves once the process has stopped, by `stop()` or a signal. */
  stopped: Promise<void>;
}

/** The auth checks of a process that answers HTTP; throws `ConfigError` (exit 2). */
export function checkApiConfig(config: Config, api: "listen" | "serve"): void {
  assertAuthConfigured(config);
  if (!config.authDisable) return;
  if (api === "listen" && !isLoopback(splitBind(config.bind).hostname) && !config.insecureBind) {
    throw new ConfigError(
      `config: KANADE_AUTH_DISABLE refuses to bind the non-loopback address ${config.bind}; pass --insecure-bind to override`,
    );
  }
  if (api === "serve" && !config.insecureServe) {
    throw new ConfigError(
      "config: KANADE_AUTH_DISABLE under `deno serve` needs KANADE_INSECURE_BIND=1 (the listener is not loopback-only)",
    );
  }
}

/** Where the dev broker keeps its JetStream store: beside a local DB file, else ./data/nats. */
export function devStoreDir(dbUrl: string): string {
  if (!dbUrl.startsWith("file:")) return "./data/nats";
  const path = dbUrl.slice("file:".length).split("?")[0];
  const slash = path.lastIndexOf("/");
  return `${slash < 0 ? "." : path.slice(0, slash)}/nats`;
}

export async function startComponents(
  config: Config,
  wanted: readonly Starter[],
  opts: StartOptions = {},
): Promise<Running> {
  if (opts.api) checkApiConfig(config, opts.api);

  const components: Component[] = [];
  const stopGraceMs = opts.stopGraceMs ?? COMPONENT_STOP_GRACE_MS;
  let deps: Deps | undefined;
  let broker: Deno.ChildProcess | null = null;
  const { promise: stopped, resolve: resolveStopped } = Promise.withResolvers<void>();
  let starting: Promise<unknown> = Promise.resolve();
  let stopping: Promise<void> | undefined;
  let memory: Component | null = null;

  const onSignal = (signal: Deno.Signal) => () => void stop(signal);
  const listeners = opts.signals === false
    ? []
    : (["SIGINT", "SIGTERM"] as const).map((s) => [s, onSignal(s)] as const);
  // Listening before the deps exist: a signal during start-up waits for it, then stops
  // what started, instead of leaving `deno serve` held open by a fresh NATS connection.
  for (const [s, fn] of listeners) Deno.addSignalListener(s, fn);

  function stop(reason = "stop"): Promise<void> {
    stopping ??= (async () => {
      await starting.catch(() => {});
      log.info("shutting down", { signal: reason });
      for (const c of [...components].reverse()) {
        // Bounded: a component stuck in its work (a projector batch waiting on the broker)
        // must not keep the process from exiting. Nothing is lost by leaving it: acks only
        // ever follow commits, so what it held is redelivered to the next process.
        const done = await withTimeout(
          c.stop().then(() => true, (e) => {
            log.error("component stop failed", { component: c.name, err: e });
            return true;
          }),
          stopGraceMs,
        );
        if (!done) {
          log.error("component did not stop in time, left behind", {
            component: c.name,
            grace_ms: stopGraceMs,
          });
        }
      }
      await memory?.stop();
      if (deps) await closeDeps(deps);
      if (broker) {
        broker.kill("SIGTERM");
        await broker.status; // gone before a restart looks for a broker again
      }
      for (const [s, fn] of listeners) Deno.removeSignalListener(s, fn);
      resolveStopped();
    })();
    return stopping;
  }

  const start = async () => {
    if (opts.devBroker) {
      broker = await ensureDevBroker(config.natsServers[0], devStoreDir(config.dbUrl));
    }
    deps = await createDeps(config, opts.deps);
    await opts.prepare?.(deps);
    // Process-wide (any component may grow the process), so not one of the components.
    if (config.memoryReturn) memory = startMemoryReturn();
    for (const s of wanted) {
      if (stopping) break;
      components.push(await s(deps));
    }
  };
  starting = start();
  try {
    await starting;
  } catch (e) {
    await stop("start failed");
    throw e;
  }
  if (!stopping) {
    log.info("kanade backend started", {
      components: components.map((c) => c.name),
      node: config.nodeId,
    });
  }
  return { deps: deps!, components, stop, stopped };
}
