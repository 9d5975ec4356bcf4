/**
 * Serve handler files without main.ts, through `deno serve`:
 * - one route alone (`deno serve -A handlers/health/health.ts`): an edge deployment can
 *   split routes into separate processes;
 * - the whole API and dashboard (`deno serve --parallel -A handlers/serve_all.ts`).
 * The process starts through the one start-up path (`startComponents`) on the first
 * request; its deps are shared by later ones. SIGTERM/SIGINT stop the components, drain
 * NATS and close the DB, then exit: `deno serve` would otherwise keep running, the NATS
 * connection holding the event loop open.
 */
import { buildApp } from "./router.ts";
import type { RouteDef } from "./route.ts";
import { loadConfig } from "../lib/config.ts";
import { startComponents, type Starter } from "../lib/start.ts";
import { staticHandler } from "./static_files.ts";

export interface ServeOptions {
  /** Serve `static/` (the dashboard) for non-API paths. */
  staticFiles?: boolean;
  /** Background components this process runs beside the routes (e.g. the wave dispatcher). */
  components?: Starter[];
  name?: string;
}

type Fetcher = { fetch: (req: Request) => Promise<Response> };

export function lazyServe(routes: RouteDef[], opts: ServeOptions = {}): Fetcher {
  let app: Promise<{ fetch: (req: Request) => Response | Promise<Response> }> | undefined;
  return {
    fetch(req: Request) {
      app ??= (async () => {
        const running = await startComponents(loadConfig({ args: [] }), opts.components ?? [], {
          api: "serve",
          deps: { setup: false, name: opts.name ?? `kanade-edge-${routes[0]?.path}` },
        });
        running.stopped.then(() => Deno.exit(0));
        const files = opts.staticFiles ? { staticHandler: staticHandler() } : {};
        return buildApp(running.deps, routes, files);
      })();
      return app.then((a) => a.fetch(req));
    },
  };
}

export function standalone(...routes: RouteDef[]): Fetcher {
  return lazyServe(routes);
}
