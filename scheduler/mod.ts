/** The scheduler entrypoint (`deno task scheduler`). */
import type { Deps } from "../lib/deps.ts";
import { type Component, component } from "../lib/component.ts";

export function startScheduler(_deps: Deps): Promise<Component> {
  return Promise.resolve(component("scheduler", () => {}));
}
