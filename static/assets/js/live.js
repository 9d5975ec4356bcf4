// @ts-check
/// <reference lib="dom" />
/**
 * Live updates for the pages. One SSE connection (`api.streamEvents`) is shared by every
 * subscriber; each subscriber names the topics it cares about and gets a debounced
 * "something changed" call. When the stream is unavailable the hub falls back to a slow
 * poll (the same callbacks on a timer) and keeps trying to reconnect with backoff.
 */
import { getToken, streamEvents } from "./api.js";

/** Stream housekeeping, not changes. */
const IGNORED = new Set(["ping", "ready", "keepalive", "hello"]);

/**
 * Topics of a message: the SSE event name or a kind/type/table field of its data.
 * `null` for housekeeping events that must not refresh anything.
 * @param {{event: string, data: unknown}} msg
 * @returns {Set<string> | null}
 */
export function topicOf(msg) {
  if (IGNORED.has(msg.event)) return null;
  /** @type {Record<string, unknown>} */
  const d = msg.data && typeof msg.data === "object" ? /** @type {any} */ (msg.data) : {};
  const raw = [msg.event, d.kind, d.type, d.table, d.topic, d.entity]
    .filter((x) => typeof x === "string")
    .join(" ")
    .toLowerCase();
  /** @type {Set<string>} */
  const topics = new Set();
  if (/result|started|tail/.test(raw)) topics.add("results");
  if (/exec/.test(raw)) topics.add("executions");
  if (/agent|heartbeat|group/.test(raw)) topics.add("agents");
  if (/audit/.test(raw)) topics.add("audit");
  if (/schedul/.test(raw)) topics.add("schedules");
  if (/job|script|catalog/.test(raw)) topics.add("jobs");
  if (/inventory/.test(raw)) topics.add("inventory");
  if (/\bobs/.test(raw)) topics.add("obs");
  if (/notification/.test(raw)) topics.add("notifications");
  if (/\bcheck/.test(raw)) topics.add("checks");
  if (/\balert/.test(raw)) topics.add("alerts");
  return topics;
}

const SLOW_POLL_MS = 10_000;

/** @typedef {{topics: Set<string>, fn: () => void, minGapMs: number, timer: any, last: number}} Sub */

class LiveHub {
  constructor() {
    /** @type {Set<Sub>} */
    this.subs = new Set();
    this.state = "idle"; // idle | connecting | live | polling
    this.abort = null;
    this.pollTimer = null;
    this.retryMs = 1000;
    this.lastId = null;
    /** @type {Set<(s: string) => void>} */
    this.stateListeners = new Set();
  }

  /**
   * @param {string[]} topics
   * @param {() => void} fn
   * @param {{minGapMs?: number, signal?: AbortSignal}} [opts]
   */
  subscribe(topics, fn, opts = {}) {
    /** @type {Sub} */
    const sub = {
      topics: new Set(topics),
      fn,
      minGapMs: opts.minGapMs ?? 400,
      timer: null,
      last: 0,
    };
    this.subs.add(sub);
    const off = () => {
      clearTimeout(sub.timer);
      this.subs.delete(sub);
    };
    opts.signal?.addEventListener("abort", off, { once: true });
    this.ensure();
    return off;
  }

  /** @param {(s: string) => void} fn */
  onState(fn) {
    this.stateListeners.add(fn);
    fn(this.state);
    return () => this.stateListeners.delete(fn);
  }

  /** @param {string} s */
  setState(s) {
    if (this.state === s) return;
    this.state = s;
    for (const fn of this.stateListeners) fn(s);
  }

  /**
   * Debounce per subscriber: at most one call per `minGapMs`, trailing edge kept.
   * @param {Sub} sub
   */
  fire(sub) {
    if (sub.timer) return;
    const wait = Math.max(0, sub.last + sub.minGapMs - Date.now());
    sub.timer = setTimeout(() => {
      sub.timer = null;
      sub.last = Date.now();
      try {
        sub.fn();
      } catch { /* a page's refresh failing must not break the hub */ }
    }, Math.max(wait, 120));
  }

  /** @param {{event: string, data: unknown}} msg */
  dispatch(msg) {
    const topics = topicOf(msg);
    if (topics === null) return;
    for (const sub of this.subs) {
      // Unknown topics refresh everyone: a missed update is worse than a spare fetch.
      if (topics.size === 0 || [...sub.topics].some((t) => topics.has(t))) this.fire(sub);
    }
  }

  ensure() {
    if (this.state === "idle" && getToken()) this.connect();
  }

  /** Drops the stream (sign-out). */
  stop() {
    this.abort?.abort();
    this.abort = null;
    clearInterval(this.pollTimer ?? undefined);
    this.pollTimer = null;
    this.setState("idle");
  }

  startPolling() {
    if (this.pollTimer) return;
    this.pollTimer = setInterval(() => {
      for (const sub of this.subs) this.fire(sub);
    }, SLOW_POLL_MS);
  }

  stopPolling() {
    clearInterval(this.pollTimer ?? undefined);
    this.pollTimer = null;
  }

  async connect() {
    if (!getToken()) return this.setState("idle");
    this.setState("connecting");
    const ctl = new AbortController();
    this.abort = ctl;
    try {
      this.lastId = await streamEvents((m) => this.dispatch(m), {
        signal: ctl.signal,
        lastEventId: this.lastId,
        onOpen: () => {
          this.retryMs = 1000;
          this.stopPolling();
          this.setState("live");
          // Catch up on anything that happened while disconnected.
          for (const sub of this.subs) this.fire(sub);
        },
      }) ?? this.lastId;
    } catch (e) {
      if (ctl.signal.aborted) return;
      const status = e && /** @type {any} */ (e).status;
      if (status === 401) return this.stop();
      if (status === 404 || status === 405) {
        // No stream on this backend: stay on the slow poll, do not hammer it.
        this.setState("polling");
        return this.startPolling();
      }
    }
    if (ctl.signal.aborted) return;
    this.setState("polling");
    this.startPolling();
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 30_000);
    setTimeout(() => {
      if (this.abort === ctl && this.state === "polling") this.connect();
    }, wait);
  }
}

export const live = new LiveHub();
