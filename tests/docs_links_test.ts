/**
 * The README is a guide that links to the reference detail in docs/: every relative link in
 * the README and in docs/*.md must point at a file that exists, and every docs/ file must be
 * linked from the README (a page nobody can reach is lost).
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** Relative link targets of a markdown text (no URLs, no same-page anchors), anchor cut off. */
export function relativeLinks(md: string): string[] {
  const out: string[] = [];
  for (const m of md.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1];
    if (/^[a-z]+:/i.test(target) || target.startsWith("#")) continue;
    out.push(target.split("#")[0]);
  }
  return out;
}

Deno.test("relativeLinks() keeps files, drops URLs and same-page anchors", () => {
  assert.deepEqual(
    relativeLinks("[a](docs/api.md) [b](https://x.y/z) [c](#tests) [d](../README.md#api)"),
    ["docs/api.md", "../README.md"],
  );
});

Deno.test("README and docs/ links resolve, and every docs/ page is linked from the README", async () => {
  const docs: string[] = [];
  for await (const e of Deno.readDir(new URL("docs/", ROOT))) {
    if (e.isFile && e.name.endsWith(".md")) docs.push(`docs/${e.name}`);
  }
  const broken: string[] = [];
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  for (
    const [file, text] of [
      ["README.md", readme] as const,
      ...await Promise.all(
        docs.map(async (d) => [d, await Deno.readTextFile(new URL(d, ROOT))] as const),
      ),
    ]
  ) {
    const base = new URL(file, ROOT);
    for (const link of relativeLinks(text)) {
      try {
        await Deno.stat(new URL(link, base));
      } catch {
        broken.push(`${file}: ${link}`);
      }
    }
  }
  assert.deepEqual(broken, [], "links to files that do not exist");
  const linked = new Set(relativeLinks(readme));
  assert.deepEqual(
    docs.filter((d) => !linked.has(d)).sort(),
    [],
    "docs pages the README never links",
  );
  assert.ok(docs.length > 0);
});
