/**
 * Rollout waves that wait for their delay. (Placeholder until the exec issue lands:
 * the dispatcher component that publishes persisted waves when due.)
 */
import type { Deps } from "../deps.ts";
import { type Component, component } from "../component.ts";

export function startWaveDispatcher(_deps: Deps): Component {
  return component("waves", () => {});
}
