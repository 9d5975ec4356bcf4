/**
 * Live change notices for the SSE endpoint. Projectors publish a small JSON notice on
 * `kanade.changes.<kind>` after each committed batch (`publishChanges`, core NATS, best
 * effort; the alert engine does too when a delivery changes); every API process holds ONE
 * core subscription to `kanade.changes.>` (opened on the first listener, closed with the
 * last) and fans notices out to its SSE clients, which refresh instead of polling.
 *
 * Each notice names the node whose projector committed it (header `Kanade-Node`). In
 * `local` projection mode every node has its own read model, so an API forwards only its
 * own node's notices: another node's commit says nothing about what this node can read yet.
 */
import { headers } from "@nats-io/transport-node";
import type { Nats } from "./nats.ts";
import type { Deps } from "./deps.ts";
import { SUBJECT } from "../wire/names.ts";
import { jsonBytes } from "../wire/codec.ts";

export interface ChangeEvent {
  kind: string;
  data: string;
  /** The committing projector's node id; null from a publisher that does not say. */
  node: string | null;
}

type Listener = (e: ChangeEvent) => void;

export const CHANGE_NODE_HEADER = "Kanade-Node";

export interface ChangeNotice {
  kind: "result" | "execution" | "agent" | "audit" | "obs" | "check" | "notification" | "alert";
  [k: string]: unknown;
}

/** The ids a notice names: distinct, in first-seen order, at most 100 (notices stay small). */
export function noticeIds(ids: Iterable<string>): string[] {
  return [...new Set(ids)].slice(0, 100);
}

export function publishChanges(deps: Pick<Deps, "nats" | "config">, notices: ChangeNotice[]): void {
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

export interface SubscribeOptions {
  /** Only notices committed by this node (local projection mode). */
  node?: string;
}

interface Hub {
  listeners: Set<Listener>;
  unsubscribe(): void;
}

const hubs = new WeakMap<Nats, Hub>();

export function subscribeChanges(
  nats: Nats,
  onChange: Listener,
  opts: SubscribeOptions = {},
): () => void {
  const listener: Listener = opts.node === undefined
    ? onChange
    : (e) => e.node === opts.node && onChange(e);
  let hub = hubs.get(nats);
  if (!hub) {
    const listeners = new Set<Listener>();
    const sub = nats.nc.subscribe(SUBJECT.changesFilter);
    (async () => {
      const td = new TextDecoder();
      for await (const m of sub) {
        const e = {
          kind: m.subject.slice(SUBJECT.changesPrefix.length),
          data: td.decode(m.data),
          node: m.headers?.get(CHANGE_NODE_HEADER) || null,
        };
        for (const l of listeners) {
          try {
            l(e);
          } catch { /* one broken client never stops the others */ }
        }
      }
    })().catch(() => {});
    hub = { listeners, unsubscribe: () => sub.unsubscribe() };
    hubs.set(nats, hub);
  }
  const h = hub;
  h.listeners.add(listener);
  return () => {
    h.listeners.delete(listener);
    if (h.listeners.size === 0 && hubs.get(nats) === h) {
      h.unsubscribe();
      hubs.delete(nats);
    }
  };
}
