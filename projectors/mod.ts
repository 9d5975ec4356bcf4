/**
 * Starts the projectors (`deno task projector`, `--only results,events`).
 */
import type { Deps } from "../lib/deps.ts";
import { type Component, component } from "../lib/component.ts";

export const PROJECTOR_NAMES = [
  "results",
  "events",
  "audit",
  "obs",
  "heartbeat",
  "host_perf",
  "process_perf",
] as const;

export function startProjectors(_deps: Deps, _opts: { only?: string[] } = {}): Promise<Component> {
  return Promise.resolve(component("projectors", () => {}));
}
