/** The background cleanup sweep (expiry, reaper, retention). */
import type { Deps } from "../lib/deps.ts";
import { type Component, component } from "../lib/component.ts";

export function startCleanup(_deps: Deps): Component {
  return component("cleanup", () => {});
}
