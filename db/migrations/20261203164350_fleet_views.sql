-- Views the API follows incrementally instead of reading the whole fleet per request.
--
-- 1. agents.rev: a fleet-wide revision bumped by every change of an agents row, so a
--    process can follow the table (lib/fleet/presence.ts: `WHERE rev > last`) and answer
--    online counts, alive lists and versions from memory. The heartbeat projector sets it
--    for a whole batch (one value per transaction); the triggers give a revision to any
--    other write (tests, manual SQL) and record deletions in agents_removed. Writers are
--    serialised by SQLite's write lock, so revisions grow in commit order.
ALTER TABLE agents ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
UPDATE agents SET rev = rowid;
CREATE INDEX IF NOT EXISTS idx_agents_rev ON agents (rev);
CREATE TABLE IF NOT EXISTS agents_removed (
  pc_id TEXT PRIMARY KEY,
  rev INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_agents_removed_rev ON agents_removed (rev);
CREATE VIEW IF NOT EXISTS agents_rev_now AS
  SELECT MAX(COALESCE((SELECT MAX(rev) FROM agents), 0),
             COALESCE((SELECT MAX(rev) FROM agents_removed), 0)) AS rev;
CREATE TRIGGER IF NOT EXISTS agents_rev_insert AFTER INSERT ON agents WHEN NEW.rev = 0 BEGIN
  UPDATE agents SET rev = (SELECT rev FROM agents_rev_now) + 1 WHERE pc_id = NEW.pc_id;
END;
CREATE TRIGGER IF NOT EXISTS agents_rev_update AFTER UPDATE ON agents WHEN NEW.rev = OLD.rev BEGIN
  UPDATE agents SET rev = (SELECT rev FROM agents_rev_now) + 1 WHERE pc_id = NEW.pc_id;
END;
CREATE TRIGGER IF NOT EXISTS agents_rev_delete AFTER DELETE ON agents BEGIN
  INSERT INTO agents_removed (pc_id, rev) VALUES (OLD.pc_id, (SELECT rev FROM agents_rev_now) + 1)
    ON CONFLICT (pc_id) DO UPDATE SET rev = excluded.rev;
END;

-- The agents page orders by (updated_at DESC, pc_id). A heartbeat batch gives thousands of
-- rows one updated_at, so an index on updated_at alone left a sort of that whole tie
-- group per page (about 50 ms at 100,000 agents); the index now covers the order.
CREATE INDEX IF NOT EXISTS idx_agents_updated_pc ON agents (updated_at DESC, pc_id);
DROP INDEX IF EXISTS idx_agents_updated;

-- 2. Result counts kept as rows change, so reads need no scan of execution_results:
--    - result_counts_minute: results finished per minute (by finished_at), for the fleet
--      health's "last 24 h" (a sum over at most 1,441 rows instead of every result of
--      the last 8 days); the cleanup sweep drops minutes older than two days.
--    - result_totals: all rows and the running / success / failure counts, for the
--      results listing's X-Total-Count (a COUNT(*) over 10 million rows takes about a
--      second and, libSQL local calls being synchronous, stalls the whole process).
--    Triggers count every writer (results and events projectors, reaper, retention).
--    agents_removed keeps one row per forgotten PC id (a PC forgotten again reuses it),
--    so it needs no pruning.
CREATE TABLE IF NOT EXISTS result_counts_minute (
  minute TEXT PRIMARY KEY,
  total INTEGER NOT NULL,
  failed INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS result_totals (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  total INTEGER NOT NULL,
  running INTEGER NOT NULL,
  success INTEGER NOT NULL,
  failure INTEGER NOT NULL
);
INSERT OR IGNORE INTO result_totals (id, total, running, success, failure)
  SELECT 1, COUNT(*),
    COALESCE(SUM(finished_at IS NULL), 0),
    COALESCE(SUM(exit_code = 0), 0),
    COALESCE(SUM(exit_code IS NOT NULL AND exit_code <> 0), 0)
  FROM execution_results;
CREATE TRIGGER IF NOT EXISTS result_counts_insert AFTER INSERT ON execution_results BEGIN
  UPDATE result_totals SET total = total + 1,
    running = running + (NEW.finished_at IS NULL),
    success = success + IFNULL(NEW.exit_code = 0, 0),
    failure = failure + (NEW.exit_code IS NOT NULL AND NEW.exit_code <> 0)
    WHERE id = 1;
  INSERT INTO result_counts_minute (minute, total, failed)
    SELECT substr(NEW.finished_at, 1, 16), 1, NEW.exit_code IS NOT NULL AND NEW.exit_code <> 0
    WHERE NEW.finished_at IS NOT NULL
    ON CONFLICT (minute) DO UPDATE SET total = total + 1, failed = failed + excluded.failed;
END;
CREATE TRIGGER IF NOT EXISTS result_counts_update AFTER UPDATE OF finished_at, exit_code
  ON execution_results BEGIN
  UPDATE result_totals SET
    running = running + (NEW.finished_at IS NULL) - (OLD.finished_at IS NULL),
    success = success + IFNULL(NEW.exit_code = 0, 0) - IFNULL(OLD.exit_code = 0, 0),
    failure = failure + (NEW.exit_code IS NOT NULL AND NEW.exit_code <> 0)
      - (OLD.exit_code IS NOT NULL AND OLD.exit_code <> 0)
    WHERE id = 1;
  INSERT INTO result_counts_minute (minute, total, failed)
    SELECT substr(NEW.finished_at, 1, 16), 1, NEW.exit_code IS NOT NULL AND NEW.exit_code <> 0
    WHERE OLD.finished_at IS NULL AND NEW.finished_at IS NOT NULL
    ON CONFLICT (minute) DO UPDATE SET total = total + 1, failed = failed + excluded.failed;
END;
CREATE TRIGGER IF NOT EXISTS result_counts_delete AFTER DELETE ON execution_results BEGIN
  UPDATE result_totals SET total = total - 1,
    running = running - (OLD.finished_at IS NULL),
    success = success - IFNULL(OLD.exit_code = 0, 0),
    failure = failure - (OLD.exit_code IS NOT NULL AND OLD.exit_code <> 0)
    WHERE id = 1;
END;
INSERT INTO result_counts_minute (minute, total, failed)
  SELECT substr(finished_at, 1, 16), COUNT(*),
    SUM(exit_code IS NOT NULL AND exit_code <> 0)
  FROM execution_results WHERE finished_at >= strftime('%Y-%m-%dT%H:%M', 'now', '-2 days')
  GROUP BY 1;
