-- Scheduler completions: per (job, PC) the newest successful finish is one index seek
-- (MAX over a covering partial index), so a once_per_pc tick over 10k PCs and 1M result
-- rows stays in the tens of milliseconds instead of scanning every row of the job.
CREATE INDEX IF NOT EXISTS idx_execution_results_job_ok
  ON execution_results (job_id, pc_id, finished_at)
  WHERE exit_code = 0 AND job_id IS NOT NULL AND finished_at IS NOT NULL;
