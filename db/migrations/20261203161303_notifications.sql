-- End-user notifications (later.md §5). `notifications` is the sent history projected from
-- this project's ledger subjects in stream NOTIFICATIONS (rebuilt from the stream when the
-- database is wiped); `notification_acks` is upstream's ack ledger projected from EVENTS
-- `events.notifications.acked.>`, one row per (notification, PC, user).
CREATE TABLE IF NOT EXISTS notifications (
  id TEXT PRIMARY KEY,
  priority TEXT NOT NULL,
  require_ack INTEGER NOT NULL DEFAULT 0,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  toast INTEGER NOT NULL DEFAULT 0,
  issued_at TEXT NOT NULL,
  issued_by TEXT,
  expires_at TEXT,
  target TEXT NOT NULL,
  subjects TEXT NOT NULL,
  copies TEXT NOT NULL,
  failed_subjects TEXT NOT NULL DEFAULT '[]',
  sent_by TEXT,
  withdrawn_at TEXT,
  withdraw_reason TEXT,
  withdrawn_by TEXT,
  recorded_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_notifications_issued ON notifications (issued_at DESC, id);
CREATE INDEX IF NOT EXISTS idx_notifications_live_expiry ON notifications (expires_at)
  WHERE withdrawn_at IS NULL AND expires_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS notification_acks (
  notification_id TEXT NOT NULL,
  pc_id TEXT NOT NULL,
  user_sid TEXT NOT NULL,
  acked_at TEXT NOT NULL,
  account TEXT,
  recorded_at TEXT NOT NULL,
  PRIMARY KEY (notification_id, pc_id, user_sid)
);
