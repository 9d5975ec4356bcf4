import assert from "node:assert/strict";
import { resultsWriterUrl } from "./mod.ts";

Deno.test("resultsWriterUrl(): a writer thread for a local file unless turned off", () => {
  const file = "file:/var/lib/kanade/kanade.db";
  assert.equal(resultsWriterUrl({ dbUrl: file, resultsWriterThread: true }), file);
  assert.equal(resultsWriterUrl({ dbUrl: file, resultsWriterThread: false }), undefined);
  // A libSQL server (and an in-memory database, one connection only) is written in-thread.
  for (const dbUrl of ["libsql://db.example:8080", "http://127.0.0.1:8080", ":memory:"]) {
    assert.equal(resultsWriterUrl({ dbUrl, resultsWriterThread: true }), undefined, dbUrl);
  }
});
