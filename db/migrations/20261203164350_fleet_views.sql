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

-- 2. Results finished per minute (by finished_at), for the fleet health's "last 24 h"
--    counts: a sum over at most 1,441 rows instead of a scan of every result of the last
--    8 days. Triggers count every writer (results and events projectors, reaper); the
--    cleanup sweep drops minutes older than two days. agents_removed keeps one row per
--    forgotten PC id (a PC forgotten again reuses it), so it needs no pruning.
CREATE TABLE IF NOT EXISTS result_counts_minute (
  minute TEXT PRIMARY KEY,
  total INTEGER NOT NULL,
  failed INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS result_counts_insert AFTER INSERT ON execution_results
  WHEN NEW.finished_at IS NOT NULL BEGIN
  INSERT INTO result_counts_minute (minute, total, failed)
    VALUES (substr(NEW.finished_at, 1, 16), 1, CASE WHEN NEW.exit_code <> 0 THEN 1 ELSE 0 END)
    ON CONFLICT (minute) DO UPDATE SET total = total + 1, failed = failed + excluded.failed;
END;
CREATE TRIGGER IF NOT EXISTS result_counts_finish AFTER UPDATE OF finished_at ON execution_results
  WHEN OLD.finished_at IS NULL AND NEW.finished_at IS NOT NULL BEGIN
  INSERT INTO result_counts_minute (minute, total, failed)
    VALUES (substr(NEW.finished_at, 1, 16), 1, CASE WHEN NEW.exit_code <> 0 THEN 1 ELSE 0 END)
    ON CONFLICT (minute) DO UPDATE SET total = total + 1, failed = failed + excluded.failed;
END;
INSERT INTO result_counts_minute (minute, total, failed)
  SELECT substr(finished_at, 1, 16), COUNT(*), SUM(CASE WHEN exit_code <> 0 THEN 1 ELSE 0 END)
  FROM execution_results WHERE finished_at >= strftime('%Y-%m-%dT%H:%M', 'now', '-2 days')
  GROUP BY 1;
