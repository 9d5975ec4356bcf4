/** The HTTP API + dashboard as a component. */
import type { Deps } from "../lib/deps.ts";
import type { Component } from "../lib/component.ts";
import { buildApp } from "./router.ts";
import { allRoutes } from "./routes.ts";
import { staticHandler } from "./static_files.ts";
import { splitBind } from "../lib/config.ts";
import { fleetView } from "../lib/fleet/fleet_view.ts";

export function buildFullApp(deps: Deps) {
  return buildApp(deps, allRoutes, { staticHandler: staticHandler() });
}

export function startApi(deps: Deps, opts: { bind?: string } = {}): Component & { port: number } {
  const app = buildFullApp(deps);
  const { hostname, port } = splitBind(opts.bind ?? deps.config.bind);
  const ac = new AbortController();
  const server = Deno.serve({ hostname, port, signal: ac.signal, onListen: () => {} }, app.fetch);
  const addr = server.addr as Deno.NetAddr;
  deps.log.info("api listening", { addr: `${addr.hostname}:${addr.port}` });
  // The fleet view loads in the background, so the first exec or fleet page does not wait.
  fleetView(deps).warm().catch((e) =>
    deps.log.warn("fleet view: warm-up failed", { err: String(e) })
  );
  return {
    name: "api",
    port: addr.port,
    async stop() {
      ac.abort();
      await server.finished;
    },
  };
}
