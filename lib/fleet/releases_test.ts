import assert from "node:assert/strict";
import { ValidationError } from "../errors.ts";
import { checkVersion, resolveReleaseVersion, sniffPlatform } from "./releases.ts";
import { buildPe } from "../../tests/helpers/pe_fixture.ts";

const is400 = (e: unknown) => e instanceof ValidationError;
const elf = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0]);
const macho = new Uint8Array([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]);

Deno.test("resolveReleaseVersion()", async (t) => {
  await t.step("PE: from VERSIONINFO", () => {
    assert.deepEqual(resolveReleaseVersion(buildPe({ productVersion: "0.43.45" }), null), {
      version: "0.43.45",
      source: "versioninfo",
    });
  });
  await t.step("PE: an agreeing version field is fine", () => {
    assert.equal(
      resolveReleaseVersion(buildPe({ productVersion: "0.43.45" }), "0.43.45").version,
      "0.43.45",
    );
  });
  await t.step("PE: a disagreeing version field is 400", () => {
    assert.throws(
      () => resolveReleaseVersion(buildPe({ productVersion: "0.43.45" }), "9.9.9"),
      is400,
    );
  });
  await t.step("PE without VERSIONINFO: needs the field", () => {
    assert.throws(() => resolveReleaseVersion(buildPe({}), null), is400);
    assert.equal(resolveReleaseVersion(buildPe({}), "1.2.3").source, "form");
  });
  await t.step("non-PE: field required", () => {
    assert.throws(() => resolveReleaseVersion(elf, null), is400);
    assert.deepEqual(resolveReleaseVersion(elf, "0.44.0"), { version: "0.44.0", source: "form" });
  });
  await t.step("broken PE is 400, not 500", () => {
    assert.throws(
      () => resolveReleaseVersion(buildPe({ productVersion: "1.0.0" }).slice(0, 0x150), null),
      is400,
    );
  });
  await t.step("a VERSIONINFO string unusable as a name is 400", () => {
    assert.throws(
      () => resolveReleaseVersion(buildPe({ productVersion: "1.0 beta" }), null),
      is400,
    );
  });
});

Deno.test("sniffPlatform()", () => {
  assert.equal(sniffPlatform(buildPe({ productVersion: "1.0.0" })), "windows");
  assert.equal(sniffPlatform(elf), "linux");
  assert.equal(sniffPlatform(macho), "macos");
  assert.equal(sniffPlatform(new TextEncoder().encode("#!/bin/sh\n")), null);
  assert.equal(sniffPlatform(new Uint8Array(0)), null);
});

Deno.test("checkVersion()", () => {
  for (const ok of ["0.43.45", "1.0.0-rc.1", "2.0.0+build5", "v3"]) {
    assert.equal(checkVersion(ok), ok);
  }
  for (const bad of ["", "../x", "1 0", ".1", "a*b", "x".repeat(65)]) {
    assert.throws(() => checkVersion(bad), is400, bad);
  }
});
