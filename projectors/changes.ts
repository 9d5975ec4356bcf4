/**
 * Change notices: after each committed batch a projector publishes a small notice on
 * `kanade.changes.<kind>` (core NATS, best effort), which the API's event stream relays
 * to dashboards instead of polling.
 */
import type { Deps } from "../lib/deps.ts";
import { SUBJECT } from "../wire/names.ts";
import { jsonBytes } from "../wire/codec.ts";
import { headers } from "@nats-io/transport-node";
import { CHANGE_NODE_HEADER } from "../lib/change_feed.ts";

export interface ChangeNotice {
  kind: "result" | "execution" | "agent" | "audit" | "obs" | "check" | "notification";
  [k: string]: unknown;
}

export function publishChanges(deps: Deps, notices: ChangeNotice[]): void {
  if (!notices.length) return;
  // Which read model committed it: a local-mode API forwards only its own node's notices.
  const h = headers();
  h.set(CHANGE_NODE_HEADER, deps.config.nodeId);
  for (const n of notices) {
    try {
      deps.nats.nc.publish(`${SUBJECT.changesPrefix}${n.kind}`, jsonBytes(n), { headers: h });
    } catch { /* connection closing: notices are best-effort */ }
  }
}
