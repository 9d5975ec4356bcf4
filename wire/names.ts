/**
 * Every NATS/JetStream name of the kanade protocol (protocol.md §2–§3) in one place.
 * Nothing else in the code base spells a subject, stream, bucket or object store.
 */

export const SUBJECT = {
  commandsAll: "commands.all",
  commandsGroupPrefix: "commands.group.",
  commandsPcPrefix: "commands.pc.",
  commandsFilter: "commands.>",
  resultsFilter: "results.>",
  heartbeatFilter: "heartbeat.>",
  eventsStartedFilter: "events.started.>",
  obsFilter: "obs.>",
  hostPerfFilter: "host_perf.>",
  processPerfFilter: "process_perf.>",
  auditFilter: "audit.>",
  /** End-user notifications (later upstream): fan-out copies kept by stream NOTIFICATIONS. */
  notificationsAll: "notifications.all",
  notificationsGroupPrefix: "notifications.group.",
  notificationsPcPrefix: "notifications.pc.",
  notificationsFilter: "notifications.>",
  /**
   * This project's own sent-ledger inside NOTIFICATIONS (`notifications.ledger.sent.<id>`,
   * `notifications.ledger.withdrawn.<id>`): agents never listen there, the history
   * projection reads only it, so withdrawing the fan-out copies keeps the history.
   */
  notificationsLedgerFilter: "notifications.ledger.>",
  notificationsLedgerSentPrefix: "notifications.ledger.sent.",
  notificationsLedgerWithdrawnPrefix: "notifications.ledger.withdrawn.",
  /** Upstream's fleet-wide core subject telling agents to drop a notification (recall). */
  notificationsAmend: "notif-amend",
  notificationsAckedFilter: "events.notifications.acked.>",
  killFilter: "kill.*",
  /** This project's own core subjects: committed projection changes, for SSE fan-out in every API process. */
  changesPrefix: "kanade.changes.",
  changesFilter: "kanade.changes.>",
} as const;

export const subjects = {
  commandsGroup: (group: string) => `commands.group.${group}`,
  commandsPc: (pcId: string) => `commands.pc.${pcId}`,
  results: (requestId: string) => `results.${requestId}`,
  heartbeat: (pcId: string) => `heartbeat.${pcId}`,
  kill: (execId: string) => `kill.${execId}`,
  inventory: (pcId: string, category: string) => `inventory.${pcId}.${category}`,
  eventsStarted: (execId: string, pcId: string) => `events.started.${execId}.${pcId}`,
  logsFetch: (pcId: string) => `logs.fetch.${pcId}`,
  ping: (pcId: string) => `agents.${pcId}.ping`,
  hostPerf: (pcId: string) => `host_perf.${pcId}`,
  processPerf: (pcId: string) => `process_perf.${pcId}`,
  obs: (pcId: string) => `obs.${pcId}`,
  jobTail: (pcId: string) => `job.tail.${pcId}`,
  /** `audit.<actor>.<action>[.<target>]`; dots inside actor/target add tokens, as upstream. */
  notificationsGroup: (group: string) => `notifications.group.${group}`,
  notificationsPc: (pcId: string) => `notifications.pc.${pcId}`,
  notificationsLedgerSent: (id: string) => `notifications.ledger.sent.${id}`,
  notificationsLedgerWithdrawn: (id: string) => `notifications.ledger.withdrawn.${id}`,
  eventsNotificationsAcked: (pcId: string, userSid: string, id: string) =>
    `events.notifications.acked.${pcId}.${userSid}.${id}`,
  audit: (actor: string, action: string, target?: string | null) =>
    target ? `audit.${actor}.${action}.${target}` : `audit.${actor}.${action}`,
} as const;

export const STREAM = {
  inventory: "INVENTORY",
  results: "RESULTS",
  exec: "EXEC",
  events: "EVENTS",
  audit: "AUDIT",
  obsEvents: "OBS_EVENTS",
  notifications: "NOTIFICATIONS",
} as const;

export const BUCKET = {
  scriptCurrent: "script_current",
  scriptStatus: "script_status",
  agentsState: "agents_state",
  agentConfig: "agent_config",
  agentGroups: "agent_groups",
  schedules: "schedules",
  jobs: "jobs",
  jobsYaml: "jobs_yaml",
  schedulesYaml: "schedules_yaml",
  fleetConfig: "fleet_config",
  schedulerDispatch: "scheduler_dispatch",
  /** This project's own bucket: rollout waves waiting for their delay (survives restarts). */
  pendingWaves: "pending_waves",
  /** This project's own bucket: leases (scheduler leadership, single-writer projectors). */
  leases: "kanade_leases",
  /**
   * This project's own bucket: the operator accounts, all in one entry (`KEY_ACCOUNTS`) so
   * every change, the last-admin guards included, is one compare-and-swap. A secret store:
   * agent credentials must never read it (deploy/nats-server.conf).
   */
  accounts: "kanade_accounts",
  /** This project's own bucket: sign-in failure counters and used TOTP steps (entries expire). */
  authThrottle: "kanade_auth_throttle",
  /**
   * This project's own bucket: operator alert rules (issue 16), one entry per rule keyed by
   * its name. Holds webhook HMAC secrets: agent credentials must never read it.
   */
  alertRules: "kanade_alert_rules",
} as const;

export const OBJECT_STORE = {
  agentReleases: "agent_releases",
  appPackages: "app_packages",
  scripts: "scripts",
  resultOutput: "result_output",
  collections: "collections",
} as const;

export const CONSUMER = {
  results: "backend_results_projector",
  events: "backend_events_projector",
  audit: "backend_audit_projector",
  obs: "backend_obs_events_projector",
  notifications: "backend_notifications_projector",
  notificationAcks: "backend_notification_acks_projector",
} as const;

export const SCRIPT_STATUS_ACTIVE = "ACTIVE";
export const SCRIPT_STATUS_REVOKED = "REVOKED";

export const KEY_AGENT_CONFIG_GLOBAL = "global";
export const PREFIX_AGENT_CONFIG_GROUPS = "groups.";
export const PREFIX_AGENT_CONFIG_PCS = "pcs.";
export const KEY_AGENT_TARGET_VERSION = "target_version";
export const KEY_FREEZE = "freeze";

/** Agent side: stdout/stderr longer than this travel through `result_output`. */
export const STDOUT_INLINE_THRESHOLD = 262144;

export const EXIT_SKIP_VERSION_PIN = 124;
export const EXIT_SKIP_DEADLINE = 125;
export const EXIT_SKIP_REVOKED = 126;
export const EXIT_SKIP_STALENESS = 127;

export const ADHOC_RUN_ID = "adhoc-run";
export const ADHOC_RUN_VERSION = "0.0.0";

/** `scheduler_dispatch` key: `pc.<len>.<schedule_id>.<len>.<pc_id>` (lengths in bytes). */
export function dispatchKeyPc(scheduleId: string, pcId: string): string {
  const enc = new TextEncoder();
  return `pc.${enc.encode(scheduleId).length}.${scheduleId}.${enc.encode(pcId).length}.${pcId}`;
}

/** `scheduler_dispatch` key: `target.<len>.<schedule_id>`. */
export function dispatchKeyTarget(scheduleId: string): string {
  return `target.${new TextEncoder().encode(scheduleId).length}.${scheduleId}`;
}

/** This project's own `scheduler_dispatch` key: the fire claim of one tick, `tick.<len>.<schedule_id>.<epoch ms>`. */
export function dispatchKeyTick(scheduleId: string, tickMs: number): string {
  return `tick.${new TextEncoder().encode(scheduleId).length}.${scheduleId}.${tickMs}`;
}

/** `kanade_accounts` key of the one entry holding every account. */
export const KEY_ACCOUNTS = "accounts";

/** `kanade_auth_throttle` keys; `id` is already a KV-safe token (base64url). */
export const throttleKeys = {
  user: (id: string) => `user.${id}`,
  client: (id: string) => `client.${id}`,
  totp: (id: string) => `totp.${id}`,
} as const;

/** `kanade_leases` key of the scheduler leadership lease. */
export const LEASE_KEY_SCHEDULER = "scheduler";

/** Durable name of a real agent's EXEC replay consumer (protocol.md §3.4). */
export function agentReplayDurable(pcId: string): string {
  return `agent_replay_${pcId.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

/**
 * A value that becomes one subject token: no `.`, `*`, `>`, whitespace or control
 * characters, not empty, at most 256 bytes. Used for pc ids, groups, job ids.
 */
// deno-lint-ignore no-control-regex -- control characters are exactly what is refused
export const SUBJECT_TOKEN_RE = /^[^\s.*>\x00-\x1f\x7f]{1,256}$/;

export function isSubjectToken(value: string): boolean {
  return SUBJECT_TOKEN_RE.test(value);
}
