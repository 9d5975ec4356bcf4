/**
 * kanade backend. Runs the API, the projectors, the scheduler and the cleanup sweep in
 * one process, or any subset:
 *   deno run -A main.ts [--api] [--projectors [--only results,events]] [--scheduler]
 *                       [--cleanup] [--setup] [--dev] [--config backend.toml] [--insecure-bind]
 * With no component flag, everything runs. `--setup` only bootstraps JetStream and exits.
 */
import { isLoopback, loadConfig, splitBind } from "./lib/config.ts";
import { assertAuthConfigured } from "./lib/auth.ts";
import { ConfigError } from "./lib/errors.ts";
import { closeDeps, createDeps } from "./lib/deps.ts";
import { log, setLogLevel } from "./lib/log.ts";
import { setupJetStreamRetrying } from "./lib/jetstream_setup.ts";
import { connectNats } from "./lib/nats.ts";
import type { Component } from "./lib/component.ts";
import { startApi } from "./handlers/api_server.ts";
import { startProjectors } from "./projectors/mod.ts";
import { startCleanup } from "./projectors/cleanup.ts";
import { startScheduler } from "./scheduler/mod.ts";
import { ensureDevBroker } from "./lib/dev_broker.ts";
import { startWaveDispatcher } from "./lib/exec/waves.ts";
import { prepareAccounts } from "./lib/accounts/bootstrap.ts";
import { signInHelp } from "./lib/accounts/sign_in_help.ts";

function flag(name: string) {
  return Deno.args.includes(name);
}

function option(name: string): string | undefined {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

async function main(): Promise<number> {
  const dev = flag("--dev");
  const env = Deno.env.toObject();
  if (
    dev && env.KANADE_AUTH_DISABLE === undefined && !env.KANADE_AUTH_STATIC_TOKEN &&
    !env.KANADE_JWT_SECRET
  ) {
    env.KANADE_AUTH_DISABLE = "1"; // dev task: loopback only, see the bind check below
  }
  const config = loadConfig({ env });
  setLogLevel(config.logLevel);

  let broker: Deno.ChildProcess | null = null;
  if (dev) broker = await ensureDevBroker(config.natsServers[0]);

  if (flag("--setup")) {
    const nats = await connectNats(config, "kanade-setup");
    const report = await setupJetStreamRetrying(nats, { replicas: config.jsReplicas });
    console.log(JSON.stringify(report));
    await nats.close();
    return 0;
  }

  const wanted = {
    api: flag("--api"),
    projectors: flag("--projectors"),
    scheduler: flag("--scheduler"),
    cleanup: flag("--cleanup"),
  };
  const all = !Object.values(wanted).some(Boolean);
  if (all) Object.assign(wanted, { api: true, projectors: true, scheduler: true, cleanup: true });

  if (wanted.api) {
    assertAuthConfigured(config);
    const { hostname } = splitBind(config.bind);
    if (config.authDisable && !isLoopback(hostname) && !config.insecureBind) {
      throw new ConfigError(
        `config: KANADE_AUTH_DISABLE refuses to bind the non-loopback address ${config.bind}; pass --insecure-bind to override`,
      );
    }
  }

  const deps = await createDeps(config);
  const components: Component[] = [];
  if (wanted.projectors) {
    const only = option("--only")?.split(",").map((s) => s.trim()).filter(Boolean);
    components.push(await startProjectors(deps, { only }));
  }
  if (wanted.cleanup) components.push(startCleanup(deps));
  if (wanted.scheduler) components.push(await startScheduler(deps));
  if (wanted.api) {
    const accounts = await prepareAccounts(deps).catch(async (e) => {
      for (const c of components.reverse()) await c.stop().catch(() => {});
      await closeDeps(deps);
      throw e;
    });
    components.push(startWaveDispatcher(deps));
    const api = startApi(deps);
    components.push(api);
    if (dev) console.log(signInHelp(config, accounts, api.port).join("\n"));
  }
  log.info("kanade backend started", {
    components: components.map((c) => c.name),
    node: config.nodeId,
  });

  const { promise: stopped, resolve } = Promise.withResolvers<void>();
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    // API first (stop taking requests), then the workers, then NATS and the DB.
    for (const c of [...components].reverse()) {
      await c.stop().catch((e) =>
        log.error("component stop failed", { component: c.name, err: e })
      );
    }
    await closeDeps(deps);
    broker?.kill("SIGTERM");
    resolve();
  };
  Deno.addSignalListener("SIGINT", () => shutdown("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => shutdown("SIGTERM"));
  await stopped;
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      Deno.exit(2);
    }
    console.error(`kanade backend failed to start: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
