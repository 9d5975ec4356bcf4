-- Two of the three indexes every heartbeat moved an agent in go.
--
-- 1. The agents page orders by the fleet revision instead of updated_at, so one index
--    serves both the page and the followers of the table. They were (updated_at DESC,
--    pc_id) for the page and (rev) for the followers (fleet_views), in the same order:
--    the heartbeat projector is the only writer of agents and stamps each batch with one
--    rev and one updated_at, so both grow together in commit order.
-- 2. No index on last_heartbeat: only the page of offline agents used it, and that page now
--    comes from the presence view every API process keeps (lib/reads/agents.ts).
--
-- Upserting heartbeats in batches of 3,333 into a 100,000-agent table, the agents beating in
-- turn: 61 us a heartbeat with the three indexes, 49 us with the one left (`deno task bench
-- -- --only heartbeat_write`, both schemas in one run). Beside the same 100,000-agent fleet
-- the steady backend used 41.1/42.0 % of a core before and 37.6/40.5 % after.
--
-- Existing rows are renumbered in updated_at order (rows sharing an updated_at share a
-- rev, as a batch does), above every revision handed out so far: followers only ever see
-- revisions grow (they reload the changed rows, nothing is lost).
UPDATE agents SET rev = r.nrev
  FROM (SELECT pc_id,
               DENSE_RANK() OVER (ORDER BY updated_at) + (SELECT rev FROM agents_rev_now) AS nrev
          FROM agents) AS r
  WHERE agents.pc_id = r.pc_id;

-- DESC, then pc_id: the page's order (newest first, pc_id within a batch) is a forward walk;
-- `rev > ?` and MAX(rev) use it as well.
CREATE INDEX IF NOT EXISTS idx_agents_rev_pc ON agents (rev DESC, pc_id);
DROP INDEX IF EXISTS idx_agents_updated_pc;
DROP INDEX IF EXISTS idx_agents_rev;
DROP INDEX IF EXISTS idx_agents_heartbeat;
