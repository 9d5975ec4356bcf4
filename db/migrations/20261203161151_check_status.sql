-- Compliance checks (later.md §2): the latest status of each (PC, check), projected from
-- RESULTS for jobs whose manifest has a fleet `check:` hint. recorded_at is the JetStream
-- publish time of the result (newer wins), so a wiped database rebuilds the same rows.
CREATE TABLE IF NOT EXISTS check_status (
  pc_id TEXT NOT NULL,
  check_name TEXT NOT NULL,
  label TEXT,
  status TEXT NOT NULL,
  detail TEXT,
  recorded_at TEXT NOT NULL,
  PRIMARY KEY (pc_id, check_name)
);
CREATE INDEX IF NOT EXISTS idx_check_status_name ON check_status (check_name);

-- Every status change of a (PC, check), written by the same projection: the history the
-- dashboard shows and the outbox the operator alerts read. Unique by the result's publish
-- time, so a replay of the stream inserts nothing twice.
CREATE TABLE IF NOT EXISTS check_transitions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pc_id TEXT NOT NULL,
  check_name TEXT NOT NULL,
  label TEXT,
  from_status TEXT,
  to_status TEXT NOT NULL,
  detail TEXT,
  recorded_at TEXT NOT NULL,
  UNIQUE (pc_id, check_name, recorded_at)
);
CREATE INDEX IF NOT EXISTS idx_check_transitions_recorded ON check_transitions (recorded_at);
