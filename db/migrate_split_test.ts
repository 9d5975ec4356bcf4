import assert from "node:assert/strict";
import { splitStatements } from "./migrate.ts";

Deno.test("splitStatements: statements at ';', a trigger body stays whole, comments dropped", () => {
  const sql = `-- a comment; with a semicolon
CREATE TABLE t (a INTEGER);
CREATE TRIGGER t_ins AFTER INSERT ON t WHEN NEW.a = 0 BEGIN
  UPDATE t SET a = 1 WHERE rowid = NEW.rowid;
  INSERT INTO u VALUES (NEW.a);
END;
create trigger t_del after delete on t begin delete from u; end;
UPDATE t SET a = 2;`;
  assert.deepEqual(splitStatements(sql), [
    "CREATE TABLE t (a INTEGER)",
    "CREATE TRIGGER t_ins AFTER INSERT ON t WHEN NEW.a = 0 BEGIN\n  UPDATE t SET a = 1 WHERE rowid = NEW.rowid;\nINSERT INTO u VALUES (NEW.a);\nEND",
    "create trigger t_del after delete on t begin delete from u;\nend",
    "UPDATE t SET a = 2",
  ]);
  assert.throws(() => splitStatements("CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1;"), /END/);
});
