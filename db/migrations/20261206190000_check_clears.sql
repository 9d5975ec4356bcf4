-- What an operator's Clear of a compliance check (DELETE /api/checks/{name}[?pc_id=]) leaves
-- behind: the time of the newest clear per check, for all PCs (pc_id '') or for one PC.
-- The check projection projects no result published at or before it.
--
-- Why: the clear deleted rows of the read model only. A database rebuilt from the streams,
-- or a node with its own read model, showed the cleared rows again, and a result already
-- on its way when the operator cleared put its row right back. The clear also travels as
-- its `check_clear` audit event, which the audit projector applies here (same rule), so a
-- rebuilt database, or every node, ends with the same rows whatever order the two streams
-- replay in.
CREATE TABLE IF NOT EXISTS check_clears (
  check_name TEXT NOT NULL,
  pc_id TEXT NOT NULL DEFAULT '',
  cleared_at TEXT NOT NULL,
  PRIMARY KEY (check_name, pc_id)
) WITHOUT ROWID;
