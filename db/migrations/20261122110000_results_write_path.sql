-- The results projector writes every row into every index of execution_results, so each
-- index costs projector throughput. No query of this backend reads results by
-- (pc_id, recorded_at) or by request_id (the results listing filters pc_id with a regex
-- over the started_at window; /api/run waits on a core subscription), so those two
-- upstream indexes are dropped. Listing, reaper, retention, scheduler and exec-detail
-- indexes stay.
DROP INDEX IF EXISTS idx_execution_results_pc;
DROP INDEX IF EXISTS idx_execution_results_request;
