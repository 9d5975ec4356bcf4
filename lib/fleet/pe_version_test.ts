import assert from "node:assert/strict";
import { isPe, PeError, readPeVersion } from "./pe_version.ts";
import { buildPe } from "../../tests/helpers/pe_fixture.ts";

Deno.test("readPeVersion() picks ProductVersion, then FileVersion, then the fixed version", async (t) => {
  const cases: { name: string; opts: Parameters<typeof buildPe>[0]; want: string }[] = [
    {
      name: "ProductVersion wins",
      opts: { productVersion: "0.43.12", fileVersion: "0.43.12.0", fixed: [0, 43, 12, 0] },
      want: "0.43.12",
    },
    { name: "FileVersion when no ProductVersion", opts: { fileVersion: "1.2.3" }, want: "1.2.3" },
    { name: "fixed info drops a zero build", opts: { fixed: [2, 0, 7, 0] }, want: "2.0.7" },
    { name: "fixed info keeps a build", opts: { fixed: [2, 0, 7, 9] }, want: "2.0.7.9" },
    {
      name: "PE32+ image",
      opts: { pe32plus: true, productVersion: "0.44.1", fixed: [0, 44, 1, 0] },
      want: "0.44.1",
    },
    {
      name: "odd-length strings keep alignment",
      opts: { productVersion: "1.0.10-rc1", extraStrings: { A: "x", LongerName: "abcde" } },
      want: "1.0.10-rc1",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const info = readPeVersion(buildPe(c.opts));
      assert.ok(info, "expected a VERSIONINFO");
      assert.equal(info.version, c.want);
    });
  }
});

Deno.test("readPeVersion() reports every field of a full resource", () => {
  const info = readPeVersion(
    buildPe({ productVersion: "0.43.45", fileVersion: "0.43.45.0", fixed: [0, 43, 45, 0] }),
  );
  assert.deepEqual(
    { ...info, strings: undefined },
    {
      version: "0.43.45",
      product_version: "0.43.45",
      file_version: "0.43.45.0",
      fixed_product_version: "0.43.45",
      fixed_file_version: "0.43.45",
      strings: undefined,
    },
  );
  assert.equal(info?.strings.CompanyName, "kanade test");
});

Deno.test("readPeVersion() without a resource section is null", () => {
  assert.equal(readPeVersion(buildPe({ noResources: true })), null);
});

Deno.test("readPeVersion() with no version anywhere is null", () => {
  assert.equal(readPeVersion(buildPe({})), null);
});

Deno.test("readPeVersion() refuses non-PE and truncated input without crashing", async (t) => {
  const good = buildPe({ productVersion: "1.0.0" });
  const inputs: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["ELF", new TextEncoder().encode("\x7fELF\x02\x01\x01\0\0\0\0\0")],
    ["MZ only", new Uint8Array([0x4d, 0x5a])],
    ["header only", good.slice(0, 0x120)],
    ["resource cut", good.slice(0, good.length - 40)],
  ];
  for (const [name, bytes] of inputs) {
    await t.step(name, () => {
      try {
        readPeVersion(bytes);
        assert.fail("expected a PeError");
      } catch (e) {
        assert.ok(e instanceof PeError, `got ${e}`);
      }
    });
  }
  await t.step("random bytes after a valid header never throw anything but PeError", () => {
    for (let i = 0; i < 200; i++) {
      const b = good.slice();
      for (let j = 0; j < 8; j++) {
        b[0x40 + Math.floor(Math.random() * (b.length - 0x40))] = Math.random() * 256;
      }
      try {
        readPeVersion(b);
      } catch (e) {
        assert.ok(e instanceof PeError, `mutation ${i}: ${e}`);
      }
    }
  });
});

Deno.test("isPe() tells PE images from other binaries", () => {
  assert.equal(isPe(buildPe({ productVersion: "1.0.0" })), true);
  assert.equal(isPe(new TextEncoder().encode("\x7fELF....")), false);
  assert.equal(isPe(new Uint8Array(0)), false);
});
