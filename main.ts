/**
 * kanade backend. Runs the API, the projectors, the scheduler and the cleanup sweep in
 * one process, or any subset:
 *   deno run -A main.ts [--api] [--projectors [--only results,events]] [--scheduler]
 *                       [--cleanup] [--setup] [--dev] [--config backend.toml] [--insecure-bind]
 * With no component flag, everything runs. `--setup` only bootstraps JetStream and exits.
 */
import { loadConfig } from "./lib/config.ts";
import { ConfigError } from "./lib/errors.ts";
import { setLogLevel } from "./lib/log.ts";
import { setupJetStreamRetrying } from "./lib/jetstream_setup.ts";
import { connectNats } from "./lib/nats.ts";
import { startComponents, type Starter } from "./lib/start.ts";
import { startApi } from "./handlers/api_server.ts";
import { startProjectors } from "./projectors/mod.ts";
import { startCleanup } from "./projectors/cleanup.ts";
import { startScheduler } from "./scheduler/mod.ts";
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

/** The components the flags ask for, in start order (no component flag: all of them). */
function wantedComponents(): { starters: Starter[]; api: boolean } {
  const wanted = {
    api: flag("--api"),
    projectors: flag("--projectors"),
    scheduler: flag("--scheduler"),
    cleanup: flag("--cleanup"),
  };
  const all = !Object.values(wanted).some(Boolean);
  if (all) Object.assign(wanted, { api: true, projectors: true, scheduler: true, cleanup: true });
  const only = option("--only")?.split(",").map((s) => s.trim()).filter(Boolean);
  const starters: Starter[] = [];
  if (wanted.projectors) starters.push((deps) => startProjectors(deps, { only }));
  if (wanted.cleanup) starters.push(startCleanup);
  if (wanted.scheduler) starters.push((deps) => startScheduler(deps));
  // The API last, so that it is the first to stop.
  if (wanted.api) starters.push(startWaveDispatcher, (deps) => startApi(deps));
  return { starters, api: wanted.api };
}

async function main(): Promise<number> {
  const dev = flag("--dev");
  const env = Deno.env.toObject();
  if (
    dev && env.KANADE_AUTH_DISABLE === undefined && !env.KANADE_AUTH_STATIC_TOKEN &&
    !env.KANADE_JWT_SECRET
  ) {
    env.KANADE_AUTH_DISABLE = "1"; // dev task: loopback only (startComponents checks the bind)
  }
  const config = loadConfig({ env });
  setLogLevel(config.logLevel);

  if (flag("--setup")) {
    const nats = await connectNats(config, "kanade-setup");
    const report = await setupJetStreamRetrying(nats, { replicas: config.jsReplicas });
    console.log(JSON.stringify(report));
    await nats.close();
    return 0;
  }

  const { starters, api } = wantedComponents();
  let accounts: Awaited<ReturnType<typeof prepareAccounts>> | undefined;
  const running = await startComponents(config, starters, {
    api: api ? "listen" : undefined,
    devBroker: dev,
    // As before serving: the bootstrap admin and the MFA key check.
    prepare: api ? async (deps) => void (accounts = await prepareAccounts(deps)) : undefined,
  });
  const served = running.components.find((c) => c.name === "api") as { port?: number } | undefined;
  if (dev && accounts && served?.port) {
    console.log(signInHelp(config, accounts, served.port).join("\n"));
  }
  await running.stopped;
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
