import assert from "node:assert/strict";
import {
  assertAuthConfigured,
  authenticate,
  authWarnings,
  cleanSource,
  constantTimeEqual,
  hasRole,
  highestRole,
  mintJwt,
  requireRole,
  verifyJwt,
} from "./auth.ts";
import { ConfigError, DomainError, ForbiddenError, UnauthenticatedError } from "./errors.ts";

const SECRET = "unit-secret";
const NOW = 1_800_000_000;
const b64 = (s: string) => btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (e) {
    // The router's mapping of these two conditions (lib/ does not import the router).
    if (e instanceof UnauthenticatedError) return 401;
    if (e instanceof ForbiddenError) return 403;
    if (e instanceof DomainError) return 0;
    throw e;
  }
}

Deno.test("verifyJwt(): table of accepted and refused tokens", async () => {
  const good = await mintJwt(SECRET, {
    sub: "alice",
    roles: ["viewer"],
    ttlSecs: 60,
    nowSecs: NOW,
  });
  const [h, p] = good.split(".");
  const cases: [string, string, RegExp | null][] = [
    ["valid", good, null],
    [
      "wrong secret",
      await mintJwt("other", { sub: "a", roles: [], ttlSecs: 60, nowSecs: NOW }),
      /bad signature/,
    ],
    [
      "expired beyond leeway",
      await mintJwt(SECRET, { sub: "a", roles: [], ttlSecs: 1, nowSecs: NOW - 200 }),
      /expired/,
    ],
    [
      "expired within leeway",
      await mintJwt(SECRET, { sub: "a", roles: [], ttlSecs: 1, nowSecs: NOW - 30 }),
      null,
    ],
    [
      "wrong audience",
      await mintJwt(SECRET, { sub: "a", roles: [], ttlSecs: 60, nowSecs: NOW, aud: "x" }),
      /audience/,
    ],
    ["two parts", `${h}.${p}`, /malformed/],
    ["four parts", `${good}.x`, /malformed/],
    ["alg none", `${b64('{"alg":"none"}')}.${p}.`, /unsupported algorithm/],
    ["alg HS512", `${b64('{"alg":"HS512"}')}.${p}.${good.split(".")[2]}`, /unsupported algorithm/],
    [
      "crit header",
      `${b64('{"alg":"HS256","crit":["exp"]}')}.${p}.${good.split(".")[2]}`,
      /critical/,
    ],
    ["header is null", `${b64("null")}.${p}.x`, /malformed header/],
    ["header is an array", `${b64("[1]")}.${p}.x`, /malformed header/],
    ["header not base64", `!!!.${p}.x`, /malformed header/],
    ["signature not base64", `${h}.${p}.*`, /malformed signature/],
    ["too long", "a".repeat(9000), /too long/],
    ["empty", "", /malformed/],
  ];
  for (const [name, token, err] of cases) {
    if (err === null) {
      const c = await verifyJwt(token, SECRET, NOW);
      assert.equal(typeof c.exp, "number", name);
    } else {
      await assert.rejects(verifyJwt(token, SECRET, NOW), (e: Error) => {
        assert.ok(e instanceof UnauthenticatedError, name);
        assert.match(e.message, err, name);
        return true;
      });
    }
  }
});

Deno.test("verifyJwt(): signed tokens with bad claims are refused", async () => {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(SECRET),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const sign = async (claims: string) => {
    const body = `${b64('{"alg":"HS256"}')}.${b64(claims)}`;
    const sig = new Uint8Array(
      await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)),
    );
    return `${body}.${b64(String.fromCharCode(...sig))}`;
  };
  const cases: [string, string, RegExp][] = [
    ["no exp", `{"aud":"kanade"}`, /missing exp/],
    ["string exp", `{"aud":"kanade","exp":"${NOW + 60}"}`, /missing exp/],
    ["no aud", `{"exp":${NOW + 60}}`, /audience/],
    ["claims null", `null`, /malformed claims/],
    ["nbf in the future", `{"aud":"kanade","exp":${NOW + 999},"nbf":${NOW + 500}}`, /not yet/],
  ];
  for (const [name, claims, err] of cases) {
    await assert.rejects(verifyJwt(await sign(claims), SECRET, NOW), err, name);
  }
  const arrAud = await sign(`{"aud":["x","kanade"],"exp":${NOW + 60}}`);
  assert.deepEqual((await verifyJwt(arrAud, SECRET, NOW)).aud, ["x", "kanade"]);
});

Deno.test("authenticate(): modes in precedence, roles from the claim", async () => {
  const jwt = await mintJwt(SECRET, {
    sub: "bob",
    roles: ["operator", "bogus", "operator"],
    ttlSecs: 600,
  });
  // Dev switch wins over everything.
  assert.deepEqual(await authenticate({ authDisable: true }, undefined, "spa"), {
    sub: "auth-disabled",
    roles: ["admin"],
    source: "spa",
    kind: "disabled",
  });
  // Static token only: the token is admin, a JWT is refused as upstream core does.
  const st = { authDisable: false, staticToken: "s3cret" };
  assert.deepEqual((await authenticate(st, "Bearer s3cret", null)).roles, ["admin"]);
  assert.equal(await status(authenticate(st, `Bearer ${jwt}`, null)), 401);
  assert.equal(await status(authenticate(st, "Bearer s3cre", null)), 401);
  assert.equal(await status(authenticate(st, "bearer s3cret", null)), 401);
  assert.equal(await status(authenticate(st, "Bearer ", null)), 401);
  assert.equal(await status(authenticate(st, undefined, null)), 401);
  // JWT only.
  const j = { authDisable: false, jwtSecret: SECRET };
  const who = await authenticate(j, `Bearer ${jwt}`, "cli\u0000\n");
  assert.deepEqual(who, { sub: "bob", roles: ["operator"], source: "cli", kind: "service" });
  assert.equal(await status(authenticate(j, "Bearer s3cret", null)), 401);
  // Both: the static token is a service identity next to personal JWTs.
  const both = { authDisable: false, staticToken: "s3cret", jwtSecret: SECRET };
  assert.equal((await authenticate(both, "Bearer s3cret", null)).sub, "service-token");
  assert.equal((await authenticate(both, `Bearer ${jwt}`, null)).sub, "bob");
  assert.equal(await status(authenticate(both, "Bearer nope", null)), 401);
  // A sign-in session (`sv` claim) is an account caller; a malformed `sv` is refused.
  const session = await mintJwt(SECRET, {
    sub: "carol",
    roles: ["admin"],
    ttlSecs: 600,
    extra: { sv: 3 },
  });
  assert.deepEqual(await authenticate(j, `Bearer ${session}`, null), {
    sub: "carol",
    roles: ["admin"],
    source: null,
    kind: "account",
    session: 3,
  });
  const badSv = await mintJwt(SECRET, { sub: "c", roles: [], ttlSecs: 600, extra: { sv: "3" } });
  assert.equal(await status(authenticate(j, `Bearer ${badSv}`, null)), 401);
  // No credentials at all: the unauthenticated condition (the router adds the challenge).
  await assert.rejects(authenticate(j, undefined, null), UnauthenticatedError);
});

Deno.test("roles: rank order, 403 below the need", () => {
  const table: [string[], "viewer" | "operator" | "admin" | "public", boolean][] = [
    [[], "public", true],
    [[], "viewer", false],
    [["viewer"], "viewer", true],
    [["viewer"], "operator", false],
    [["operator"], "viewer", true],
    [["operator"], "admin", false],
    [["admin"], "admin", true],
    [["viewer", "admin"], "operator", true],
    [["__proto__", "toString"], "viewer", false],
  ];
  for (const [roles, need, ok] of table) {
    const caller = { sub: "x", roles: roles as never[], source: null };
    assert.equal(hasRole(caller, need), ok, `${roles} → ${need}`);
    if (ok) requireRole(caller, need);
    else assert.throws(() => requireRole(caller, need), ForbiddenError);
  }
  assert.equal(highestRole(["viewer", "operator"]), "operator");
  assert.equal(highestRole(["constructor"]), null);
});

Deno.test("constantTimeEqual() and cleanSource()", async () => {
  assert.equal(await constantTimeEqual("abc", "abc"), true);
  assert.equal(await constantTimeEqual("abc", "abd"), false);
  assert.equal(await constantTimeEqual("abc", "abcd"), false);
  assert.equal(await constantTimeEqual("", ""), true);
  assert.equal(cleanSource(undefined), null);
  assert.equal(cleanSource("  "), null);
  assert.equal(cleanSource("x".repeat(100))?.length, 64);
});

Deno.test("assertAuthConfigured() needs a token, a secret or the dev switch", () => {
  assert.throws(() => assertAuthConfigured({ authDisable: false }), ConfigError);
  assertAuthConfigured({ authDisable: true });
  assertAuthConfigured({ authDisable: false, staticToken: "t" });
  assertAuthConfigured({ authDisable: false, jwtSecret: "s" });
});

Deno.test("authWarnings(): weak secrets and the dev switch are called out", () => {
  assert.equal(authWarnings({ authDisable: false, jwtSecret: "x".repeat(32) }).length, 0);
  assert.match(authWarnings({ authDisable: false, jwtSecret: "short" })[0], /32 bytes/);
  assert.match(authWarnings({ authDisable: false, staticToken: "short" })[0], /24 characters/);
  assert.match(authWarnings({ authDisable: true })[0], /every API caller is admin/);
});
