-- The newest finish of each (job, PC), kept as results finish, replaces the two indexes
-- keyed (job_id, pc_id, finished_at) on execution_results.
--
-- Why: those indexes served one read, the scheduler's per-PC completions (newest finish,
-- newest successful finish), but within a job their keys are in PC order, so every result
-- inserted one entry at a random place of two B-trees that grow with the whole history
-- (the result_id key is the only other random one). With a million result rows an exec to
-- all at 100,000 agents read 4.5 GB and wrote 3.8-4.0 GB through SQLite in the backend; with
-- this table, on a copy of the same database behind the same fleet, 2.3 GB and 2.6-2.8 GB.
-- It has one row per (job, PC) whatever the history, so it stays small and cached.
--
-- Rows outlive the retention sweep of execution_results: a once_per_pc job that ran on a
-- PC 100 days ago has still run there (the sweep used to make it due again).
CREATE TABLE IF NOT EXISTS job_pc_finishes (
  job_id TEXT NOT NULL,
  pc_id TEXT NOT NULL,
  -- Newest finished_at of any outcome (ends a scheduler dispatch mark's flight early).
  last_finished_at TEXT NOT NULL,
  -- Newest finished_at with exit code 0 (once_per_pc completions); NULL: none yet.
  last_ok_at TEXT,
  PRIMARY KEY (job_id, pc_id)
) WITHOUT ROWID;

INSERT INTO job_pc_finishes (job_id, pc_id, last_finished_at, last_ok_at)
  SELECT job_id, pc_id, MAX(finished_at), MAX(CASE WHEN exit_code = 0 THEN finished_at END)
    FROM execution_results
    WHERE job_id IS NOT NULL AND finished_at IS NOT NULL
    GROUP BY job_id, pc_id
  ON CONFLICT (job_id, pc_id) DO NOTHING;

-- A row finishes by insert (a result first) or by update (a result on its start row, the
-- reaper, a late result on a reaped row); its job_id may also arrive later (a start event
-- after its result). Both triggers hand the row to one fold (an INSTEAD OF trigger on a
-- view), so the rule lives once. MAX() of two values is NULL when either is, hence the
-- COALESCE.
CREATE VIEW IF NOT EXISTS job_pc_finish_feed AS
  SELECT job_id, pc_id, last_finished_at AS finished_at, 0 AS exit_code
    FROM job_pc_finishes WHERE 0;
CREATE TRIGGER IF NOT EXISTS job_pc_finish_fold INSTEAD OF INSERT ON job_pc_finish_feed BEGIN
  INSERT INTO job_pc_finishes (job_id, pc_id, last_finished_at, last_ok_at)
    VALUES (NEW.job_id, NEW.pc_id, NEW.finished_at,
            CASE WHEN NEW.exit_code = 0 THEN NEW.finished_at END)
    ON CONFLICT (job_id, pc_id) DO UPDATE SET
      last_finished_at = MAX(last_finished_at, excluded.last_finished_at),
      last_ok_at = COALESCE(MAX(last_ok_at, excluded.last_ok_at), last_ok_at, excluded.last_ok_at);
END;
CREATE TRIGGER IF NOT EXISTS job_pc_finish_insert AFTER INSERT ON execution_results
  WHEN NEW.job_id IS NOT NULL AND NEW.finished_at IS NOT NULL BEGIN
  INSERT INTO job_pc_finish_feed VALUES (NEW.job_id, NEW.pc_id, NEW.finished_at, NEW.exit_code);
END;
CREATE TRIGGER IF NOT EXISTS job_pc_finish_update
  AFTER UPDATE OF finished_at, exit_code, job_id ON execution_results
  WHEN NEW.job_id IS NOT NULL AND NEW.finished_at IS NOT NULL BEGIN
  INSERT INTO job_pc_finish_feed VALUES (NEW.job_id, NEW.pc_id, NEW.finished_at, NEW.exit_code);
END;

DROP INDEX IF EXISTS idx_execution_results_job;
DROP INDEX IF EXISTS idx_execution_results_job_ok;
