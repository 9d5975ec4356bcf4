/**
 * Live change notices for the SSE endpoint. Projectors publish a small JSON notice on
 * `kanade.changes.<kind>` after each committed batch; every API process holds ONE core
 * subscription to `kanade.changes.>` (opened on the first listener, closed with the last)
 * and fans notices out to its SSE clients.
 */
import type { Nats } from "../nats.ts";
import { SUBJECT } from "../../wire/names.ts";

export interface ChangeEvent {
  kind: string;
  data: string;
}

type Listener = (e: ChangeEvent) => void;

interface Hub {
  listeners: Set<Listener>;
  unsubscribe(): void;
}

const hubs = new WeakMap<Nats, Hub>();

export function subscribeChanges(nats: Nats, listener: Listener): () => void {
  let hub = hubs.get(nats);
  if (!hub) {
    const listeners = new Set<Listener>();
    const sub = nats.nc.subscribe(SUBJECT.changesFilter);
    (async () => {
      const td = new TextDecoder();
      for await (const m of sub) {
        const e = { kind: m.subject.slice(SUBJECT.changesPrefix.length), data: td.decode(m.data) };
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
