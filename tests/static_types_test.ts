/**
 * The dashboard's plain JS is type-checked. Every .js file under static/ opens with
 * `// @ts-check` (Deno checks a JS file only when it says so) and `/// <reference lib="dom" />`
 * (the browser's globals, for `deno check static/` and for the Deno tests that import the
 * pure modules alike), and `deno check static/` reports nothing.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = new URL("../", import.meta.url);
const HEADER = ["// @ts-check", '/// <reference lib="dom" />'];

async function staticJs(dir = "static/"): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(new URL(dir, ROOT))) {
    const rel = `${dir}${e.name}`;
    if (e.isDirectory) out.push(...await staticJs(`${rel}/`));
    else if (e.name.endsWith(".js")) out.push(rel);
  }
  return out.sort();
}

Deno.test("static JS: every file opens with // @ts-check and the DOM lib reference", async () => {
  const files = await staticJs();
  assert.ok(files.length > 40, `found only ${files.length} files under static/`);
  const missing = [];
  for (const f of files) {
    const head = (await Deno.readTextFile(new URL(f, ROOT))).split("\n").slice(0, 2);
    if (head[0] !== HEADER[0] || head[1] !== HEADER[1]) missing.push(f);
  }
  assert.deepEqual(missing, [], `these files must start with:\n${HEADER.join("\n")}`);
});

Deno.test("static JS: deno check static/ reports no type errors", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--quiet", "static/"],
    cwd: fileURLToPath(ROOT),
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  assert.ok(out.success, `deno check static/ failed:\n${text.slice(0, 20_000)}`);
});
