/**
 * The alert engine: turns check transitions and agent presence changes into webhook
 * deliveries for the matching rules, and sends them.
 *
 * Where it runs, and why there: inside the scheduler component, deciding only while that
 * process holds the scheduler lease (`isLeader`). Offline detection is a matter of time
 * passing, not of a message arriving, so it needs one process looking at the whole fleet,
 * which is exactly what the lease elects; the projectors that record check transitions
 * are several processes sharing streams, and a webhook with retries must never hold up a
 * results batch. A lease overlap (two processes briefly both believing they lead) cannot
 * send twice: a delivery is a row unique by (rule, event key) inserted with OR IGNORE, and
 * a pending row is sent only by the process that won its claim (lib/alerts/store.ts).
 *
 * One pass (every `tickMs`, leader only):
 * 1. check transitions after the cursor (the `check_transitions` outbox the results
 *    projector writes), oldest first, up to `batch` rows a round;
 * 2. presence: PCs silent past the alive window that were not recorded offline, and
 *    recorded ones that beat again (the first pass records what is offline without firing;
 *    offline decisions wait one alive window after leadership starts, and are held while
 *    the whole fleet looks silent: see `holdOffline`);
 * 3. per matching rule, a delivery row: pending, or suppressed by the per-PC rate limit;
 *    rows, offline set and cursor are written in one transaction;
 * 4. pending rows are claimed and sent, up to `concurrency` at a time (a delivery's retries
 *    run beside the passes, never inside one).
 * Events older than `maxAgeSecs` (a rebuilt database replaying history, a long outage)
 * are not sent.
 */
import type { Deps } from "../deps.ts";
import { fleetView } from "../fleet/fleet_view.ts";
import { throttled } from "../inventory/tables.ts";
import { publishChanges } from "../change_feed.ts";
import { countAlertDelivery } from "../metrics.ts";
import type { Presence } from "../fleet/presence.ts";
import { dbTs, epochMs } from "../../wire/time.ts";
import type { AlertEvent, StoredRule } from "./model.ts";
import {
  type AlertPayload,
  checkEvent,
  checkPayload,
  eventKey,
  holdOffline,
  planPresence,
  presencePayload,
  rateAllows,
  ruleMatches,
} from "./policy.ts";
import { readRules } from "./rules.ts";
import {
  checkCursor,
  type Decisions,
  type NewDelivery,
  offlinePcs,
  pairKey,
  PRESENCE_BASELINE,
  readState,
  recentCounts,
  recordDecisions,
  transitionsAfter,
} from "./store.ts";
import { DeliverySender } from "./sender.ts";

export interface AlertEngineOptions {
  /** Whether this process may decide now (the scheduler lease). */
  isLeader(): boolean;
  /** This process's identity in delivery claims. */
  holder: string;
  /** Pause between passes (default 2000 ms). */
  tickMs?: number;
  /** Events older than this are not sent (default `config.alertMaxAgeSecs`). */
  maxAgeSecs?: number;
  /** Transitions read per round (default 500; at most 20 rounds a pass). */
  batch?: number;
  /** Deliveries in flight at once (default 8). */
  concurrency?: number;
  /** First pause between attempts of one delivery (default 1000 ms), doubling up to max. */
  retryFirstPauseMs?: number;
  retryMaxPauseMs?: number;
}

interface Candidate {
  rule: StoredRule;
  event: AlertEvent;
  pcId: string;
  checkName: string | null;
  eventKey: string;
  payload: AlertPayload;
}

const MAX_ROUNDS = 20;

export class AlertEngine {
  private readonly opts: Required<AlertEngineOptions>;
  private readonly abort = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> = Promise.resolve();
  private readonly sender: DeliverySender;
  /** The offline set while leading (reloaded after every gap in leadership). */
  private offline: Map<string, string | null> | null = null;
  /** When this process last started leading (offline decisions wait one alive window). */
  private leadingSinceMs = 0;
  private lastHold: string | null = null;
  private readonly once = throttled();
  private readonly log;

  constructor(
    private readonly deps: Pick<Deps, "db" | "nats" | "log" | "config">,
    opts: AlertEngineOptions,
  ) {
    this.opts = {
      tickMs: 2000,
      maxAgeSecs: deps.config.alertMaxAgeSecs,
      batch: 500,
      concurrency: 8,
      retryFirstPauseMs: 1000,
      retryMaxPauseMs: 30_000,
      ...opts,
    };
    this.log = deps.log.child({ component: "alerts" });
    this.sender = new DeliverySender(deps.db, this.log, {
      holder: this.opts.holder,
      concurrency: this.opts.concurrency,
      firstPauseMs: this.opts.retryFirstPauseMs,
      maxPauseMs: this.opts.retryMaxPauseMs,
      signal: this.abort.signal,
      onChange: (rule) => this.notify([rule]),
    });
  }

  start(): void {
    const loop = async () => {
      if (this.abort.signal.aborted) return;
      this.running = this.pass();
      await this.running;
      if (!this.abort.signal.aborted) this.timer = setTimeout(loop, this.opts.tickMs);
    };
    this.timer = setTimeout(loop, 0);
  }

  /** Stop passing; deliveries under way stop retrying and stay pending for the next leader. */
  async stop(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.timer);
    await this.running;
    await this.sender.idle();
  }

  /** One pass; never throws (a failure is logged and the next pass tries again). */
  async pass(): Promise<void> {
    if (!this.opts.isLeader()) {
      this.offline = null;
      return;
    }
    try {
      const rules = await readRules(this.deps.nats);
      await this.decide(rules);
      await this.sender.pump(rules);
    } catch (e) {
      if (this.abort.signal.aborted) return;
      // A lasting fault (a broker or database outage) is one line per 10 minutes.
      const err = String(e);
      if (this.once(err)) this.log.warn("alert pass failed", { err });
      else this.log.debug("alert pass failed", { err });
    }
  }

  /** Resolves once every delivery under way has ended (tests). */
  idle(): Promise<void> {
    return this.sender.idle();
  }

  private async decide(rules: StoredRule[]): Promise<void> {
    const db = this.deps.db;
    const view = fleetView(this.deps);
    const presence = await view.presence();
    const active = rules.filter((r) => r.enabled);
    const groups = active.some((r) => r.scope.kind === "groups") ? await view.memberships() : null;
    const groupsOf = (pc: string) => groups?.groupsOf(pc) ?? [];
    const nowMs = Date.now();
    const oldestMs = nowMs - this.opts.maxAgeSecs * 1000;
    const hostname = (pc: string) => presence.get(pc)?.hostname ?? null;

    // 1. check transitions
    let cursor = await checkCursor(db);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const rows = await transitionsAfter(db, cursor, this.opts.batch);
      if (!rows.length) break;
      const found: Candidate[] = [];
      for (const t of rows) {
        const event = checkEvent(t);
        if (!event || epochMs(t.recorded_at) < oldestMs) continue;
        for (const rule of active) {
          if (!ruleMatches(rule, event, t.pc_id, t.check_name, groupsOf)) continue;
          const key = eventKey({
            kind: "check",
            pcId: t.pc_id,
            checkName: t.check_name,
            recordedAt: t.recorded_at,
          });
          found.push({
            rule,
            event,
            pcId: t.pc_id,
            checkName: t.check_name,
            eventKey: key,
            payload: checkPayload(rule.name, t, event, hostname(t.pc_id)),
          });
        }
      }
      cursor = rows[rows.length - 1].id;
      await this.record({ deliveries: await this.limit(found, nowMs), cursor }, nowMs);
      if (rows.length < this.opts.batch) break;
    }

    // 2. presence
    await this.presencePass(active, presence, groupsOf, nowMs);
  }

  private async presencePass(
    active: StoredRule[],
    presence: Presence,
    groupsOf: (pc: string) => readonly string[],
    nowMs: number,
  ): Promise<void> {
    const db = this.deps.db;
    const baseline = await readState(db, PRESENCE_BASELINE) !== null;
    if (!this.offline) {
      this.offline = await offlinePcs(db);
      this.leadingSinceMs = nowMs;
    }
    const windowMs = this.deps.config.aliveWindowSecs * 1000;
    const cutoffMs = nowMs - windowMs;
    // Before the baseline exists nothing fires: what is offline then was offline before us.
    const quietBeforeMs = baseline ? cutoffMs - this.opts.maxAgeSecs * 1000 : Infinity;
    const plan = planPresence(
      presence.silentBefore(cutoffMs),
      (pc) => presence.get(pc),
      this.offline,
      cutoffMs,
      quietBeforeMs,
    );
    const hold = holdOffline({
      warmingUp: nowMs - this.leadingSinceMs < windowMs,
      aliveCount: presence.onlineCount(cutoffMs),
      goingOffline: plan.offline.filter((o) => o.fire).length,
    });
    if (hold === "fleet silent" && this.lastHold !== hold) {
      this.log.warn("every PC went silent at once: offline alerts held (heartbeats projected?)", {
        going_offline: plan.offline.length,
      });
    }
    this.lastHold = hold;
    if (hold) plan.offline = [];
    if (!plan.offline.length && !plan.online.length && !plan.forgotten.length && baseline) return;

    const found: Candidate[] = [];
    const add = (event: "agent_offline" | "agent_online", pc: string, keyHb: string | null) => {
      const hb = presence.get(pc)?.hb ?? null;
      for (const rule of active) {
        if (!ruleMatches(rule, event, pc, null, groupsOf)) continue;
        const payload = presencePayload(
          rule.name,
          event,
          pc,
          keyHb,
          hb,
          presence.get(pc)?.hostname ?? null,
        );
        const kind = event === "agent_offline" ? "offline" : "online";
        found.push({
          rule,
          event,
          pcId: pc,
          checkName: null,
          eventKey: eventKey({ kind, pcId: pc, lastHeartbeat: keyHb }),
          payload,
        });
      }
    };
    for (const o of plan.offline) if (o.fire) add("agent_offline", o.pcId, o.hb);
    for (const o of plan.online) add("agent_online", o.pcId, o.offlineHb);

    const decisions: Decisions = {
      deliveries: await this.limit(found, nowMs),
      offlineAdd: plan.offline.map((o) => ({ pcId: o.pcId, hb: o.hb })),
      offlineRemove: [...plan.online.map((o) => o.pcId), ...plan.forgotten],
      baseline: !baseline && !hold,
    };
    await this.record(decisions, nowMs);
    for (const o of plan.offline) this.offline.set(o.pcId, o.hb);
    for (const pc of decisions.offlineRemove!) this.offline.delete(pc);
  }

  /** Writes a pass's decisions; new deliveries are announced on the change feed. */
  private async record(d: Decisions, nowMs: number): Promise<void> {
    await recordDecisions(this.deps.db, d, dbTs(nowMs));
    countAlertDelivery("suppressed", d.deliveries.filter((x) => x.status === "suppressed").length);
    if (d.deliveries.length) this.notify([...new Set(d.deliveries.map((x) => x.rule))]);
  }

  /** `kanade.changes.alert`: the dashboard's Alerts page refreshes on it. */
  private notify(rules: string[]): void {
    publishChanges(this.deps, [{ kind: "alert", rules: rules.slice(0, 100) }]);
  }

  /** Candidates → delivery rows, each over its rule's per-PC rate limit suppressed. */
  private async limit(found: Candidate[], nowMs: number): Promise<NewDelivery[]> {
    const byRule = new Map<string, Candidate[]>();
    for (const c of found) byRule.set(c.rule.name, [...byRule.get(c.rule.name) ?? [], c]);
    const out: NewDelivery[] = [];
    for (const list of byRule.values()) {
      const rule = list[0].rule;
      const since = dbTs(nowMs - rule.rate_limit.per_secs * 1000);
      const counts = await recentCounts(
        this.deps.db,
        list.map((c) => [rule.name, c.pcId]),
        since,
      );
      for (const c of list) {
        const k = pairKey(rule.name, c.pcId);
        const n = counts.get(k) ?? 0;
        const ok = rateAllows(n, rule.rate_limit);
        if (ok) counts.set(k, n + 1);
        out.push({
          rule: rule.name,
          eventKey: c.eventKey,
          event: c.event,
          pcId: c.pcId,
          checkName: c.checkName,
          payload: c.payload,
          status: ok ? "pending" : "suppressed",
          note: ok
            ? null
            : `rate limit: at most ${rule.rate_limit.max} per ${rule.rate_limit.per_secs} s for this PC`,
        });
      }
    }
    return out;
  }
}
