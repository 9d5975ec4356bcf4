/**
 * Serve one handler file alone (`deno serve -A handlers/jobs/list.ts`): an edge
 * deployment can split routes into separate processes. Dependencies are created from the
 * environment on the first request and shared by later ones.
 */
import { buildApp } from "./router.ts";
import type { RouteDef } from "./route.ts";
import { loadConfig } from "../lib/config.ts";
import { closeDeps, createDeps, type Deps } from "../lib/deps.ts";
import { assertAuthConfigured } from "../lib/auth.ts";
import { ConfigError } from "../lib/errors.ts";

export function standalone(...routes: RouteDef[]): { fetch: (req: Request) => Promise<Response> } {
  let app: Promise<{ fetch: (req: Request) => Response | Promise<Response> }> | undefined;
  let created: Deps | undefined;
  // `deno serve` would otherwise keep running on SIGTERM: the NATS connection holds the
  // event loop open. Drain it and close the DB, then exit.
  const shutdown = async () => {
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
        if (config.authDisable && Deno.env.get("KANADE_INSECURE_BIND") !== "1") {
          throw new ConfigError(
            "config: KANADE_AUTH_DISABLE under `deno serve` needs KANADE_INSECURE_BIND=1 (the listener is not loopback-only)",
          );
        }
        const deps = await createDeps(config, {
          setup: false,
          name: `kanade-edge-${routes[0]?.path}`,
        });
        return buildApp(deps, routes);
      })();
      return app.then((a) => a.fetch(req));
    },
  };
}
