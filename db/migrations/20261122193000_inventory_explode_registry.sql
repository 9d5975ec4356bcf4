-- Explode tables are created at run time from job manifests (backend.md §4). The registry
-- records which tables the projection created, so a manifest naming an existing core
-- table (`execution_results`, `inventory_facts`, ...) is refused instead of having its
-- rows deleted and overwritten, and the search route reads only explode tables.
CREATE TABLE IF NOT EXISTS inventory_explode_tables (
  name TEXT PRIMARY KEY COLLATE NOCASE,
  created_at TEXT NOT NULL
);
