-- Operator alerts (issue 16, beyond upstream). The rules live in KV `kanade_alert_rules`;
-- these tables hold what the alert engine (lib/alerts/engine.ts, under the scheduler lease)
-- decided and delivered. lib/alerts/store.ts is their one writer.

-- One webhook delivery per (rule, event): the UNIQUE key is the idempotency key sent to the
-- receiver, so a transition seen twice (a lease overlap, a re-read after a crash) is
-- delivered at most once. status: pending → delivered | failed; suppressed when the rule's
-- per-PC rate limit refused it (kept so an operator sees why nothing arrived).
CREATE TABLE IF NOT EXISTS alert_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  rule_name TEXT NOT NULL,
  event_key TEXT NOT NULL,
  event TEXT NOT NULL,
  pc_id TEXT NOT NULL,
  check_name TEXT,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_status INTEGER,
  last_error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  claimed_by TEXT,
  claim_until TEXT,
  UNIQUE (rule_name, event_key)
);
CREATE INDEX IF NOT EXISTS idx_alert_deliveries_rule ON alert_deliveries (rule_name, id);
CREATE INDEX IF NOT EXISTS idx_alert_deliveries_pending ON alert_deliveries (status, id);
CREATE INDEX IF NOT EXISTS idx_alert_deliveries_rate ON alert_deliveries (rule_name, pc_id, created_at);
CREATE INDEX IF NOT EXISTS idx_alert_deliveries_created ON alert_deliveries (created_at);

-- The PCs the engine has seen go offline (sparse: only the offline ones), with the last
-- heartbeat they went offline after: the key of the offline event and of the comeback.
CREATE TABLE IF NOT EXISTS alert_offline (
  pc_id TEXT PRIMARY KEY,
  last_heartbeat TEXT,
  since TEXT NOT NULL
);

-- Engine cursors: `check_cursor` (last check_transitions.id read), `presence_baseline`
-- (set once the offline PCs present at the first run were recorded without firing).
CREATE TABLE IF NOT EXISTS alert_state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
