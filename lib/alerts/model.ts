/**
 * Operator alert rules (issue 16, beyond upstream): the zod schemas are the one source of
 * truth for what the API accepts, what KV `kanade_alert_rules` stores and what the API
 * answers. A rule names the events it fires on, the PCs it covers (scope) and one webhook.
 *
 * The webhook's HMAC secret is write-only: stored in KV (a bucket agent credentials cannot
 * read), never answered (`has_secret` instead), never in audit payloads or logs. The URL
 * itself may carry a token (chat webhooks put one in the path), so viewers and audit
 * records see it redacted to its origin (`redactUrl`).
 */
import { z } from "zod";
import { isSubjectToken } from "../../wire/names.ts";
import { WireTimestampSchema } from "../../wire/time.ts";

/**
 * What a rule can fire on: a check entering a non-ok status or recovering to ok from one,
 * an agent going or coming.
 */
export const ALERT_EVENTS = [
  "check_fail",
  "check_warn",
  "check_unknown",
  "check_ok",
  "agent_offline",
  "agent_online",
] as const;
export const AlertEventSchema = z.enum(ALERT_EVENTS);
export type AlertEvent = z.infer<typeof AlertEventSchema>;

/** Delivery states; `suppressed` = refused by the rule's per-PC rate limit, never sent. */
export const DELIVERY_STATUSES = ["pending", "delivered", "failed", "suppressed"] as const;
export const DeliveryStatusSchema = z.enum(DELIVERY_STATUSES);
export type DeliveryStatus = z.infer<typeof DeliveryStatusSchema>;

/** A rule name is its KV key and a URL segment: a short token. */
export const RULE_NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;
export const RuleNameSchema = z.string().regex(
  RULE_NAME_RE,
  "must be 1-64 characters of A-Z a-z 0-9 _ -",
);

const Token = (what: string) =>
  z.string().refine(
    isSubjectToken,
    `each ${what} must be one subject token (1-256 characters, no dots, spaces or wildcards)`,
  );

const unique = (xs: readonly unknown[]) => new Set(xs).size === xs.length;

export const AlertScopeSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("all") }),
  z.strictObject({
    kind: z.literal("groups"),
    groups: z.array(Token("group")).min(1).max(100).refine(unique, "groups must be distinct"),
  }),
  z.strictObject({
    kind: z.literal("pcs"),
    pcs: z.array(Token("pc id")).min(1).max(1000).refine(unique, "pcs must be distinct"),
  }),
]).meta({ description: "which PCs the rule covers: all, members of any of `groups`, or `pcs`" });
export type AlertScope = z.infer<typeof AlertScopeSchema>;

/** http(s) only, no credentials in the URL (a secret belongs in `secret`), no fragment. */
export function webhookUrlError(raw: string): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return "must be an absolute http:// or https:// URL";
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return "must use http or https";
  if (u.username || u.password) return "must not carry credentials (use `secret` to sign)";
  if (u.hash) return "must not have a #fragment";
  return null;
}

const WebhookUrlSchema = z.string().max(2048).superRefine((v, ctx) => {
  const err = webhookUrlError(v);
  if (err) ctx.addIssue({ code: "custom", message: err });
});

export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_ATTEMPTS = 4;
export const DEFAULT_RATE_LIMIT = { max: 3, per_secs: 3600 } as const;

export const RateLimitSchema = z.strictObject({
  max: z.number().int().min(1).max(1000),
  per_secs: z.number().int().min(1).max(7 * 86_400),
}).meta({
  description: "at most `max` deliveries per PC in any `per_secs` window (a flapping PC)",
});

const WebhookFields = {
  url: WebhookUrlSchema,
  timeout_ms: z.number().int().min(100).max(30_000).default(DEFAULT_TIMEOUT_MS),
  max_attempts: z.number().int().min(1).max(10).default(DEFAULT_MAX_ATTEMPTS),
};

const RuleFields = {
  enabled: z.boolean().default(true),
  description: z.string().max(500).default(""),
  events: z.array(AlertEventSchema).min(1).max(ALERT_EVENTS.length)
    .refine(unique, "events must be distinct"),
  checks: z.array(z.string().min(1).max(256)).max(100).refine(unique, "checks must be distinct")
    .default([])
    .meta({ description: "check names the check events are limited to (empty: every check)" }),
  scope: AlertScopeSchema.default({ kind: "all" }),
  rate_limit: RateLimitSchema.default({ ...DEFAULT_RATE_LIMIT }),
};

const SecretInput = z.string().min(16).max(512).nullable().optional().meta({
  description:
    "HMAC-SHA256 key for `X-Kanade-Signature` (write-only). On update: absent keeps the stored one, null removes it",
});

/** The body of `POST /api/alerts`. */
export const AlertRuleCreateSchema = z.strictObject({
  name: RuleNameSchema,
  ...RuleFields,
  webhook: z.strictObject({ ...WebhookFields, secret: SecretInput }),
});
export type AlertRuleCreate = z.infer<typeof AlertRuleCreateSchema>;

/** The body of `PUT /api/alerts/{name}`: the whole rule again (`name`, if given, must match). */
export const AlertRuleUpdateSchema = z.strictObject({
  name: RuleNameSchema.optional(),
  ...RuleFields,
  webhook: z.strictObject({ ...WebhookFields, secret: SecretInput }),
});
export type AlertRuleUpdate = z.infer<typeof AlertRuleUpdateSchema>;

/** A rule as KV stores it (the secret included). */
export const StoredRuleSchema = z.object({
  name: RuleNameSchema,
  enabled: z.boolean(),
  description: z.string(),
  events: z.array(AlertEventSchema),
  checks: z.array(z.string()),
  scope: AlertScopeSchema,
  webhook: z.object({
    url: z.string(),
    secret: z.string().nullable(),
    timeout_ms: z.number().int(),
    max_attempts: z.number().int(),
  }),
  rate_limit: RateLimitSchema,
  created_at: z.string(),
  updated_at: z.string(),
});
export type StoredRule = z.infer<typeof StoredRuleSchema>;

export const DeliveryCountsSchema = z.strictObject({
  pending: z.number().int().nonnegative(),
  delivered: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  suppressed: z.number().int().nonnegative(),
});

export const DeliverySchema = z.strictObject({
  id: z.number().int(),
  rule: z.string(),
  event: AlertEventSchema,
  event_key: z.string().meta({ description: "the idempotency key sent with every attempt" }),
  pc_id: z.string(),
  check_name: z.string().nullable(),
  status: DeliveryStatusSchema,
  attempts: z.number().int().nonnegative(),
  last_status: z.number().int().nullable().meta({ description: "HTTP status of the last attempt" }),
  last_error: z.string().nullable(),
  created_at: WireTimestampSchema,
  updated_at: WireTimestampSchema,
  payload: z.record(z.string(), z.unknown()).meta({ description: "the JSON body sent" }),
});
export type Delivery = z.infer<typeof DeliverySchema>;

/** A rule as the API answers it: no secret, delivery counts and the latest delivery. */
export const AlertRuleViewSchema = z.strictObject({
  name: z.string(),
  enabled: z.boolean(),
  description: z.string(),
  events: z.array(AlertEventSchema),
  checks: z.array(z.string()),
  scope: AlertScopeSchema,
  webhook: z.strictObject({
    url: z.string().meta({ description: "redacted to its origin for viewers" }),
    has_secret: z.boolean(),
    timeout_ms: z.number().int(),
    max_attempts: z.number().int(),
  }),
  rate_limit: RateLimitSchema,
  created_at: z.string(),
  updated_at: z.string(),
  deliveries: DeliveryCountsSchema,
  last_delivery: DeliverySchema.omit({ payload: true }).nullable(),
});
export type AlertRuleView = z.infer<typeof AlertRuleViewSchema>;

/** `https://hooks.example/services/T0/B0/xyz?token=1` → `https://hooks.example/…`. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return u.pathname === "/" && !u.search ? u.origin : `${u.origin}/…`;
  } catch {
    return "…";
  }
}
