-- Core projection schema (backend.md §4), with the recommended fixes built in:
-- every timestamp is TEXT in one canonical RFC 3339 UTC form (9 fraction digits, `Z`),
-- written by the application (no CURRENT_TIMESTAMP defaults); idempotent audit by
-- stream sequence; per-run expiry for the reaper.

CREATE TABLE IF NOT EXISTS agents (
  pc_id TEXT PRIMARY KEY,
  hostname TEXT,
  last_heartbeat TEXT,
  agent_version TEXT,
  os_family TEXT,
  updated_at TEXT NOT NULL,
  agent_cpu_pct REAL,
  agent_rss_bytes INTEGER,
  agent_disk_read_bytes INTEGER,
  agent_disk_written_bytes INTEGER
);
CREATE INDEX IF NOT EXISTS idx_agents_heartbeat ON agents (last_heartbeat DESC);
CREATE INDEX IF NOT EXISTS idx_agents_updated ON agents (updated_at DESC);

CREATE TABLE IF NOT EXISTS executions (
  exec_id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL,
  version TEXT NOT NULL,
  initiated_by TEXT NOT NULL,
  initiated_at TEXT NOT NULL,
  target_count INTEGER NOT NULL,
  success_count INTEGER NOT NULL DEFAULT 0,
  failure_count INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'pending'
);
CREATE INDEX IF NOT EXISTS idx_executions_job ON executions (job_id, initiated_at DESC);
CREATE INDEX IF NOT EXISTS idx_executions_status ON executions (status, initiated_at);
CREATE INDEX IF NOT EXISTS idx_executions_initiated ON executions (initiated_at DESC);

CREATE TABLE IF NOT EXISTS execution_results (
  result_id TEXT PRIMARY KEY,
  request_id TEXT NOT NULL,
  exec_id TEXT,
  pc_id TEXT NOT NULL,
  exit_code INTEGER,
  stdout TEXT NOT NULL DEFAULT '',
  stderr TEXT NOT NULL DEFAULT '',
  started_at TEXT NOT NULL,
  finished_at TEXT,
  recorded_at TEXT NOT NULL,
  job_id TEXT,
  version TEXT,
  reaped INTEGER NOT NULL DEFAULT 0,
  expires_at TEXT
);
CREATE INDEX IF NOT EXISTS idx_execution_results_pc ON execution_results (pc_id, recorded_at DESC);
CREATE INDEX IF NOT EXISTS idx_execution_results_job ON execution_results (job_id, pc_id, finished_at DESC) WHERE job_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_execution_results_exec ON execution_results (exec_id, recorded_at DESC) WHERE exec_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_execution_results_request ON execution_results (request_id);
CREATE INDEX IF NOT EXISTS idx_execution_results_inflight ON execution_results (started_at DESC) WHERE finished_at IS NULL;
CREATE INDEX IF NOT EXISTS idx_execution_results_started ON execution_results (started_at DESC, result_id DESC);
CREATE INDEX IF NOT EXISTS idx_execution_results_recorded ON execution_results (recorded_at);

CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  payload TEXT,
  occurred_at TEXT NOT NULL,
  stream_seq INTEGER
);
CREATE INDEX IF NOT EXISTS idx_audit_actor ON audit_log (actor, occurred_at);
CREATE INDEX IF NOT EXISTS idx_audit_action ON audit_log (action, occurred_at);
CREATE INDEX IF NOT EXISTS idx_audit_log_occurred_at ON audit_log (occurred_at DESC);
CREATE UNIQUE INDEX IF NOT EXISTS idx_audit_stream_seq ON audit_log (stream_seq) WHERE stream_seq IS NOT NULL;

CREATE TABLE IF NOT EXISTS inventory_facts (
  pc_id TEXT NOT NULL,
  job_id TEXT NOT NULL,
  facts_json TEXT NOT NULL,
  display_json TEXT,
  summary_json TEXT,
  collected_at TEXT,
  recorded_at TEXT NOT NULL,
  PRIMARY KEY (pc_id, job_id)
);
CREATE INDEX IF NOT EXISTS idx_inventory_facts_pc ON inventory_facts (pc_id);
CREATE INDEX IF NOT EXISTS idx_inventory_facts_job ON inventory_facts (job_id);

CREATE TABLE IF NOT EXISTS inventory_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pc_id TEXT NOT NULL,
  job_id TEXT NOT NULL,
  field_path TEXT NOT NULL,
  identity_json TEXT,
  change_kind TEXT NOT NULL CHECK (change_kind IN ('added', 'removed', 'changed')),
  before_json TEXT,
  after_json TEXT,
  observed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_inventory_history_pc ON inventory_history (pc_id, observed_at DESC);
CREATE INDEX IF NOT EXISTS idx_inventory_history_job_field ON inventory_history (job_id, field_path, observed_at DESC);
CREATE INDEX IF NOT EXISTS idx_inventory_history_identity ON inventory_history (job_id, field_path, identity_json);
CREATE INDEX IF NOT EXISTS idx_inventory_history_observed ON inventory_history (observed_at);

CREATE TABLE IF NOT EXISTS host_perf_samples (
  pc_id TEXT NOT NULL,
  at TEXT NOT NULL,
  cpu_pct REAL,
  cpu_count INTEGER,
  mem_used_bytes INTEGER,
  mem_total_bytes INTEGER,
  swap_used_bytes INTEGER,
  swap_total_bytes INTEGER,
  disk_read_bytes_per_sec REAL,
  disk_written_bytes_per_sec REAL,
  net_rx_bytes_per_sec REAL,
  net_tx_bytes_per_sec REAL,
  PRIMARY KEY (pc_id, at)
);
CREATE INDEX IF NOT EXISTS idx_host_perf_at ON host_perf_samples (at);

CREATE TABLE IF NOT EXISTS process_perf_samples (
  pc_id TEXT NOT NULL,
  at TEXT NOT NULL,
  pid INTEGER NOT NULL,
  name TEXT NOT NULL,
  cpu_pct REAL NOT NULL,
  rss_bytes INTEGER NOT NULL,
  disk_read_bytes_per_sec REAL,
  disk_written_bytes_per_sec REAL,
  PRIMARY KEY (pc_id, at, pid)
);
CREATE INDEX IF NOT EXISTS idx_process_perf_at ON process_perf_samples (at);

CREATE TABLE IF NOT EXISTS obs_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pc_id TEXT NOT NULL,
  at TEXT NOT NULL,
  kind TEXT NOT NULL,
  source TEXT NOT NULL,
  event_record_id TEXT,
  payload TEXT,
  UNIQUE (pc_id, source, event_record_id)
);
CREATE INDEX IF NOT EXISTS idx_obs_events_pc ON obs_events (pc_id, at DESC);
CREATE INDEX IF NOT EXISTS idx_obs_events_kind ON obs_events (kind, at DESC);
CREATE INDEX IF NOT EXISTS idx_obs_events_at ON obs_events (at);

-- Poison messages set aside by the projectors (stream, sequence, reason), so nothing
-- is silently dropped and an operator can inspect what was refused.
CREATE TABLE IF NOT EXISTS projection_rejects (
  stream TEXT NOT NULL,
  stream_seq INTEGER NOT NULL,
  subject TEXT NOT NULL,
  reason TEXT NOT NULL,
  payload TEXT,
  rejected_at TEXT NOT NULL,
  PRIMARY KEY (stream, stream_seq)
);
