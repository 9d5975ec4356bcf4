import assert from "node:assert/strict";
import { contentDisposition, packageKey, partProblem } from "./key.ts";
import { metaSubject } from "./object_io.ts";

Deno.test("partProblem(): upstream's name rules", () => {
  assert.equal(partProblem("name", "office-2024_x64.1"), null);
  assert.equal(partProblem("name", ""), "name must be non-empty");
  assert.equal(partProblem("version", "1/2"), "version must not contain '/'");
  assert.equal(partProblem("name", "é"), "name must be ASCII without control characters");
  assert.equal(partProblem("name", "a\x01"), "name must be ASCII without control characters");
  assert.equal(partProblem("name", "a\x7f"), "name must be ASCII without control characters");
  assert.equal(partProblem("name", 'a"b'), `name must not contain '"' or '\\'`);
  assert.equal(partProblem("name", "a\\b"), `name must not contain '"' or '\\'`);
  assert.equal(partProblem("name", ".."), "name must not be '.' or '..'");
  assert.equal(partProblem("name", "a".repeat(257)), "name must be at most 256 characters");
  assert.equal(partProblem("name", "a b"), null, "spaces are printable ASCII");
});

Deno.test("packageKey() and the download file name", () => {
  assert.equal(packageKey("office", "1.0"), "office/1.0");
  assert.throws(() => packageKey("", "1"), /name must be non-empty/);
  assert.equal(contentDisposition("office", "1.0"), 'attachment; filename="office-1.0"');
});

Deno.test("metaSubject() is padded base64url of the key, as every object-store client", () => {
  assert.equal(metaSubject("app_packages", "a/b"), "$O.app_packages.M.YS9i");
  assert.equal(metaSubject("b", "ab?"), "$O.b.M.YWI_");
  assert.equal(metaSubject("b", "a"), "$O.b.M.YQ==");
});
