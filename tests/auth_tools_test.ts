import assert from "node:assert/strict";
import { main, parseTokenArgs, UsageError } from "../tools/token.ts";
import {
  displayPath,
  END_MARK,
  renderRouteTable,
  replaceSection,
  START_MARK,
} from "../tools/route_table.ts";
import { verifyJwt } from "../lib/auth.ts";
import { isLoopback } from "../lib/config.ts";
import { allRoutes } from "../handlers/routes.ts";
import type { RouteDef } from "../handlers/route.ts";

Deno.test("token CLI: argument table", () => {
  const ok = parseTokenArgs(["--sub", "alice", "--roles", "operator", "--ttl", "8h"]);
  assert.deepEqual(ok, {
    sub: "alice",
    roles: ["operator"],
    ttlSecs: 8 * 3600,
    secretEnv: "KANADE_JWT_SECRET",
  });
  assert.deepEqual(parseTokenArgs(["--sub=bob", "--roles=viewer,admin,viewer"]).roles, [
    "viewer",
    "admin",
  ]);
  assert.equal(parseTokenArgs(["--sub", "x", "--roles", "admin"]).ttlSecs, 8 * 3600);
  const bad: [string[], RegExp][] = [
    [[], /--sub is required/],
    [["--sub", "a"], /--roles is required/],
    [["--sub", "a", "--roles", "root"], /unknown role 'root'/],
    [["--sub", "a", "--roles", "admin", "--ttl", "soon"], /--ttl/],
    [["--sub", "a", "--roles", "admin", "--ttl", "0s"], /at least 1s/],
    [["--sub"], /--sub needs a value/],
    [["--sub", "--roles", "admin"], /--sub needs a value/],
    [["--user", "a"], /unknown option --user/],
    [["alice"], /unexpected argument/],
  ];
  for (const [argv, re] of bad) {
    assert.throws(
      () => parseTokenArgs(argv),
      (e: Error) => e instanceof UsageError && re.test(e.message),
      argv.join(" "),
    );
  }
});

Deno.test("token CLI: mints a verifiable token; refuses without the secret", async () => {
  const out: string[] = [];
  const log = console.log, err = console.error;
  console.log = (s: string) => out.push(s);
  console.error = () => {};
  try {
    const env = (k: string) => (k === "KANADE_JWT_SECRET" ? "cli-secret" : undefined);
    assert.equal(await main(["--sub", "alice", "--roles", "operator", "--ttl", "1h"], env), 0);
    const claims = await verifyJwt(out[0], "cli-secret");
    assert.equal(claims.sub, "alice");
    assert.deepEqual(claims.roles, ["operator"]);
    assert.ok(Math.abs((claims.exp as number) - (Date.now() / 1000 + 3600)) < 5);
    assert.equal(await main(["--sub", "a", "--roles", "admin"], () => undefined), 2);
    assert.equal(await main(["--sub", "a", "--roles", "admin"], () => "  "), 2);
    assert.equal(await main(["--bogus"], env), 2);
  } finally {
    console.log = log;
    console.error = err;
  }
});

Deno.test("route table: every route once, upstream path syntax, section replaced", () => {
  assert.equal(displayPath("/api/jobs/:id/yaml"), "/api/jobs/{id}/yaml");
  assert.equal(displayPath("/api/x/:name{.+}"), "/api/x/{name}");
  const table = renderRouteTable(allRoutes);
  for (const r of allRoutes) {
    assert.ok(table.includes(`| \`${displayPath(r.path)}\` | ${r.method} | ${r.role} |`), r.path);
  }
  assert.equal(table.trim().split("\n").length, allRoutes.length + 2);
  const piped = renderRouteTable([
    {
      method: "GET",
      path: "/a",
      role: "viewer",
      summary: "x | y\nz",
      handler: () => new Response(),
    } as RouteDef,
  ]);
  assert.match(piped, /x \\\| y z/);
  const readme = `# t\n\n${START_MARK}\nold\n${END_MARK}\n\nrest\n`;
  const next = replaceSection(readme, "NEW\n");
  assert.equal(next, `# t\n\n${START_MARK}\nNEW\n${END_MARK}\n\nrest\n`);
  assert.equal(replaceSection(next, "NEW\n"), next);
  assert.throws(() => replaceSection("no markers", "x"), /markers/);
  assert.throws(() => replaceSection(`${END_MARK}${START_MARK}`, "x"), /markers/);
});

Deno.test("auth-disabled bind guard: only numeric loopback counts", () => {
  const table: [string, boolean][] = [
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["localhost", true],
    ["::1", true],
    ["0.0.0.0", false],
    ["::", false],
    ["127.attacker.example", false],
    ["127.0.0.1.nip.io", false],
    ["10.0.0.1", false],
  ];
  for (const [host, loop] of table) assert.equal(isLoopback(host), loop, host);
});
