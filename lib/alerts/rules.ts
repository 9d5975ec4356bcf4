/**
 * Alert rules in KV `kanade_alert_rules` (one entry per rule, keyed by its name) and the
 * operator actions on them: create, replace, delete, each revision-checked and audited
 * (`alert_rule_create` / `_update` / `_delete`, with the URL redacted and no secret), and
 * the listing with each rule's delivery counts. The API calls these; they know no HTTP.
 */
import type { Deps } from "../deps.ts";
import { type Caller, hasRole } from "../auth.ts";
import { recordAudit } from "../audit.ts";
import { badRequest, conflict, notFound } from "../errors.ts";
import {
  type Codec,
  DELETE,
  kvScan,
  kvSwap,
  liveEntry,
  openKv,
  openKvOrNull,
  readKey,
} from "../kv.ts";
import type { Nats } from "../nats.ts";
import { log } from "../log.ts";
import { BUCKET } from "../../wire/names.ts";
import { parseJsonBytes } from "../../wire/codec.ts";
import { nowWire } from "../../wire/time.ts";
import {
  type AlertRuleCreate,
  type AlertRuleUpdate,
  type AlertRuleView,
  redactUrl,
  RULE_NAME_RE,
  type StoredRule,
  StoredRuleSchema,
} from "./model.ts";
import { deliverySummaries, type RuleDeliverySummary } from "./store.ts";

const ruleCodec: Codec<StoredRule | null> = {
  decode: (b) => StoredRuleSchema.parse(parseJsonBytes(b)),
  encode: (v) => JSON.stringify(v),
  empty: () => null,
};

/** Every decodable rule, by name; an undecodable entry is logged and left out. */
export async function readRules(nats: Nats): Promise<StoredRule[]> {
  const kv = await openKvOrNull(nats, BUCKET.alertRules);
  if (!kv) return [];
  const out: StoredRule[] = [];
  for (const e of await kvScan(kv)) {
    try {
      out.push(StoredRuleSchema.parse(parseJsonBytes(e.value)));
    } catch (err) {
      log.warn("alert rule not decodable; ignored", { rule: e.key, err: String(err) });
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function checkName(name: string): string {
  if (!RULE_NAME_RE.test(name)) {
    throw badRequest(
      `invalid alert rule name '${name}': must be 1-64 characters of A-Z a-z 0-9 _ -`,
    );
  }
  return name;
}

/** The API's view of a rule: no secret; the URL redacted below the operator role. */
export function ruleView(
  r: StoredRule,
  s: RuleDeliverySummary | undefined,
  caller: Caller,
): AlertRuleView {
  const { secret, url, ...webhook } = r.webhook;
  return {
    ...r,
    webhook: {
      ...webhook,
      url: hasRole(caller, "operator") ? url : redactUrl(url),
      has_secret: secret !== null,
    },
    deliveries: s?.counts ?? { pending: 0, delivered: 0, failed: 0, suppressed: 0 },
    last_delivery: s?.last ?? null,
  };
}

export async function listRules(
  deps: Pick<Deps, "db" | "nats">,
  caller: Caller,
): Promise<AlertRuleView[]> {
  const rules = await readRules(deps.nats);
  const sums = await deliverySummaries(deps.db, rules.map((r) => r.name));
  return rules.map((r) => ruleView(r, sums.get(r.name), caller));
}

export async function getRule(
  deps: Pick<Deps, "db" | "nats">,
  name: string,
  caller: Caller,
): Promise<AlertRuleView> {
  const kv = await openKv(deps.nats, BUCKET.alertRules);
  const cur = await readKey(kv, checkName(name), ruleCodec);
  if (!cur?.value) throw notFound(`alert rule '${name}' not found`);
  const sums = await deliverySummaries(deps.db, [name]);
  return ruleView(cur.value, sums.get(name), caller);
}

/** What an audit record says of a rule: everything but the secret, the URL redacted. */
function auditOf(r: StoredRule): Record<string, unknown> {
  return {
    name: r.name,
    enabled: r.enabled,
    events: r.events,
    checks: r.checks,
    scope: r.scope,
    url: redactUrl(r.webhook.url),
    has_secret: r.webhook.secret !== null,
    rate_limit: r.rate_limit,
  };
}

export async function createRule(
  deps: Pick<Deps, "db" | "nats">,
  input: AlertRuleCreate,
  caller: Caller,
): Promise<AlertRuleView> {
  const now = nowWire();
  const { secret, ...webhook } = input.webhook;
  const rule: StoredRule = {
    ...input,
    webhook: { ...webhook, secret: secret ?? null },
    created_at: now,
    updated_at: now,
  };
  const kv = await openKv(deps.nats, BUCKET.alertRules);
  if (await kvSwap(kv, rule.name, JSON.stringify(rule), null) === null) {
    throw conflict(`alert rule '${rule.name}' exists already (PUT /api/alerts/${rule.name})`);
  }
  await recordAudit(deps.nats, {
    action: "alert_rule_create",
    target: rule.name,
    payload: auditOf(rule),
  }, caller);
  return ruleView(rule, undefined, caller);
}

/** Replace a rule; an absent `webhook.secret` keeps the stored one, null removes it. */
export async function updateRule(
  deps: Pick<Deps, "db" | "nats">,
  name: string,
  input: AlertRuleUpdate,
  caller: Caller,
): Promise<AlertRuleView> {
  checkName(name);
  if (input.name !== undefined && input.name !== name) {
    throw badRequest(`name '${input.name}' does not match the rule in the path ('${name}')`);
  }
  const kv = await openKv(deps.nats, BUCKET.alertRules);
  const cur = await readKey(kv, name, ruleCodec);
  if (!cur?.value) throw notFound(`alert rule '${name}' not found`);
  const { secret, ...webhook } = input.webhook;
  const { name: _n, ...fields } = input;
  const rule: StoredRule = {
    ...fields,
    name,
    webhook: { ...webhook, secret: secret === undefined ? cur.value.webhook.secret : secret },
    created_at: cur.value.created_at,
    updated_at: nowWire(),
  };
  if (await kvSwap(kv, name, JSON.stringify(rule), cur.revision) === null) {
    throw conflict(`alert rule '${name}' changed concurrently, retry`);
  }
  await recordAudit(deps.nats, {
    action: "alert_rule_update",
    target: name,
    payload: { ...auditOf(rule), secret_changed: secret !== undefined },
  }, caller);
  const sums = await deliverySummaries(deps.db, [name]);
  return ruleView(rule, sums.get(name), caller);
}

/** Delete a rule (404 when absent). Its delivery history stays until the retention sweep. */
export async function deleteRule(
  deps: Pick<Deps, "nats">,
  name: string,
  caller: Caller,
): Promise<void> {
  const kv = await openKv(deps.nats, BUCKET.alertRules);
  // Not decoded: an undecodable rule can still be deleted.
  const cur = liveEntry(await kv.get(checkName(name)));
  if (!cur) throw notFound(`alert rule '${name}' not found`);
  if (await kvSwap(kv, name, DELETE, cur.revision) === null) {
    throw conflict(`alert rule '${name}' changed concurrently, retry`);
  }
  await recordAudit(
    deps.nats,
    { action: "alert_rule_delete", target: name, payload: { name } },
    caller,
  );
}
