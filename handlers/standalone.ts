/**
 * Serve handler files without main.ts, through `deno serve`:
 * - one route alone (`deno serve -A handlers/infra/health.ts`): an edge deployment can
 *   split routes into separate processes;
 * - the whole API and dashboard (`deno serve --parallel -A handlers/serve_all.ts`).
 * Dependencies are created from the environment on the first request and shared by later
 * ones; SIGTERM/SIGINT drain NATS and close the DB.
 */
import { buildApp } from "./router.ts";
import type { RouteDef } from "./route.ts";
import { loadConfig } from "../lib/config.ts";
import { closeDeps, createDeps, type Deps } from "../lib/deps.ts";
import { assertAuthConfigured } from "../lib/auth.ts";
import { ConfigError } from "../lib/errors.ts";
import type { Component } from "../lib/component.ts";
import { staticHandler } from "./static_files.ts";

export interface ServeOptions {
  /** Serve `static/` (the dashboard) for non-API paths. */
  staticFiles?: boolean;
  /** Background components this process runs beside the routes (e.g. the wave dispatcher). */
  components?: (deps: Deps) => Component[];
  name?: string;
}

type Fetcher = { fetch: (req: Request) => Promise<Response> };

export function lazyServe(routes: RouteDef[], opts: ServeOptions = {}): Fetcher {
  let app: Promise<{ fetch: (req: Request) => Response | Promise<Response> }> | undefined;
  let created: Deps | undefined;
  let running: Component[] = [];
  // `deno serve` would otherwise keep running on SIGTERM: the NATS connection holds the
  // event loop open. Stop the components, drain NATS and close the DB, then exit.
  const shutdown = async () => {
    for (const c of running.reverse()) await c.stop().catch(() => {});
    if (created) await closeDeps(created).catch(() => {});
    Deno.exit(0);
  };
  let listening = false;
  const listen = () => {
    if (listening) return;
    listening = true;
    Deno.addSignalListener("SIGTERM", shutdown);
    Deno.addSignalListener("SIGINT", shutdown);
  };
  return {
    fetch(req: Request) {
      listen();
      app ??= (async () => {
        const config = loadConfig({ args: [] });
        assertAuthConfigured(config);
        // `deno serve` binds 0.0.0.0 unless told otherwise; an unauthenticated edge
        // process needs an explicit opt-in, as main.ts requires --insecure-bind.
        if (config.authDisable && !config.insecureServe) {
          throw new ConfigError(
            "config: KANADE_AUTH_DISABLE under `deno serve` needs KANADE_INSECURE_BIND=1 (the listener is not loopback-only)",
          );
        }
        const deps = await createDeps(config, {
          setup: false,
          name: opts.name ?? `kanade-edge-${routes[0]?.path}`,
        });
        created = deps;
        running = opts.components?.(deps) ?? [];
        return buildApp(deps, routes, opts.staticFiles ? { staticHandler: staticHandler() } : {});
      })();
      return app.then((a) => a.fetch(req));
    },
  };
}

export function standalone(...routes: RouteDef[]): Fetcher {
  return lazyServe(routes);
}
