/**
 * Walks EVERY route of `allRoutes` (imported at test time, so routes other areas add are
 * covered automatically) for every kind of caller, against a JWT backend and a
 * static-token backend: 401 for missing/invalid/expired/wrong-audience tokens, 403 below
 * the route's role, never 401/403 at or above it; every error body is `{error, status}`.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend } from "./helpers/backend.ts";
import { allRoutes } from "../handlers/routes.ts";
import { DEFAULT_BODY_LIMIT, type RouteDef } from "../handlers/route.ts";
import { mintJwt, type Role, ROLE_RANK } from "../lib/auth.ts";
import { recordFigures } from "./robustness/report_sink.ts";
import { createAccount, deleteAccount, updateAccount } from "../lib/accounts/admin.ts";
import { tokenFor } from "./helpers/accounts.ts";

const SECRET = "role-walk-secret";
/** Past this, a request that has not answered has certainly passed the auth middleware. */
const SLOW_MS = 4_000;

/** A concrete path for a route pattern, with harmless ids no other test data uses. */
export function concretePath(path: string): string {
  const p = path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, (_m, name) => `authwalk-${name}`)
    .replace(/\*$/, "authwalk");
  // Routes that wait for an agent take their wait from the query: keep it short.
  return p.endsWith("/ping") ? `${p}?wait_secs=1` : p;
}

interface Identity {
  name: string;
  authorization: string;
  /** Role granted, or null when the token must be refused with 401. */
  role: Role | null;
}

interface Outcome {
  status: number | "slow";
  body: string;
  headers: Headers;
}

async function call(be: TestBackend, r: RouteDef, who: Identity): Promise<Outcome> {
  const init: RequestInit = {
    method: r.method,
    headers: {
      authorization: who.authorization,
      "x-kanade-source": "role-walk",
      ...(r.method === "GET" ? {} : { "content-type": "application/json" }),
    },
    body: r.method === "GET" ? undefined : "{}",
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const slow = new Promise<"slow">((res) => timer = setTimeout(() => res("slow"), SLOW_MS));
  try {
    const res = await Promise.race([be.request(concretePath(r.path), init), slow]);
    if (res === "slow") return { status: "slow", body: "", headers: new Headers() };
    if ((res.headers.get("content-type") ?? "").includes("text/event-stream")) {
      await res.body?.cancel(); // a stream never ends; its status is what counts
      return { status: res.status, body: "", headers: res.headers };
    }
    return { status: res.status, body: await res.text(), headers: res.headers };
  } finally {
    clearTimeout(timer);
  }
}

function checkOutcome(r: RouteDef, who: Identity, o: Outcome) {
  const what = `${r.method} ${r.path} as ${who.name} → ${o.status} ${o.body.slice(0, 200)}`;
  const needsAuth = r.role !== "public";
  if (needsAuth && who.role === null) {
    assert.equal(o.status, 401, what);
    assert.equal(o.headers.get("www-authenticate"), 'Bearer realm="kanade"', what);
  } else if (needsAuth && ROLE_RANK[who.role!] < ROLE_RANK[r.role as Role]) {
    assert.equal(o.status, 403, what);
  } else {
    assert.ok(o.status !== 401 && o.status !== 403, what);
  }
  if (typeof o.status === "number" && o.status >= 400) {
    let body: { error?: unknown; status?: unknown };
    try {
      body = JSON.parse(o.body);
    } catch {
      throw new assert.AssertionError({ message: `error body is not JSON: ${what}` });
    }
    assert.equal(typeof body.error, "string", what);
    assert.equal(body.status, o.status, what);
    assert.doesNotMatch(o.body, /\bat .*\.ts:\d+|SQLITE|SELECT |INSERT |stack/i, what);
  }
  if (r.path.startsWith("/api/") && typeof o.status === "number") {
    assert.equal(o.headers.get("x-content-type-options"), "nosniff", what);
  }
}

async function walk(be: TestBackend, identities: Identity[]) {
  const failures: string[] = [];
  let tried = 0;
  // Parallel per route (different callers), sequential over routes: bounded load.
  for (const r of allRoutes) {
    await Promise.all(identities.map(async (who) => {
      tried++;
      try {
        checkOutcome(r, who, await call(be, r, who));
      } catch (e) {
        failures.push((e as Error).message.split("\n")[0]);
      }
    }));
  }
  assert.deepEqual(failures, [], `${failures.length} of ${tried} role checks failed`);
  return tried;
}

Deno.test({
  name: "auth: every route × every caller on a JWT backend and a static-token backend",
  // Handlers still waiting for an absent agent when we stop may leave timers behind.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const jwtBe = await startTestBackend({
      env: {
        KANADE_JWT_SECRET: SECRET,
        KANADE_AUTH_STATIC_TOKEN: "",
        KANADE_REQUEST_TIMEOUT_MS: "3000",
      },
    });
    const staticBe = await startTestBackend({
      broker: jwtBe.broker,
      env: { KANADE_REQUEST_TIMEOUT_MS: "3000" },
    });
    try {
      assert.equal(jwtBe.deps.config.staticToken, undefined, "an empty static token is unset");
      assert.ok(allRoutes.some((r) => r.role !== "public"), "there are protected routes");
      const now = Math.floor(Date.now() / 1000);
      const jwt = (
        roles: string[],
        o: { ttl?: number; aud?: string; now?: number; secret?: string } = {},
      ) =>
        mintJwt(o.secret ?? SECRET, {
          sub: `walker-${roles.join("+") || "none"}`,
          roles,
          ttlSecs: o.ttl ?? 600,
          nowSecs: o.now ?? now,
          aud: o.aud,
        });
      const bearer = (t: string) => `Bearer ${t}`;

      let tried = 0;
      await t.step("JWT backend", async () => {
        const ids: Identity[] = [
          { name: "no token", authorization: "", role: null },
          { name: "bad token", authorization: bearer("not-a-jwt"), role: null },
          {
            name: "other secret",
            authorization: bearer(await jwt(["admin"], { secret: "x" })),
            role: null,
          },
          {
            name: "expired",
            authorization: bearer(await jwt(["admin"], { ttl: 10, now: now - 3600 })),
            role: null,
          },
          {
            name: "wrong aud",
            authorization: bearer(await jwt(["admin"], { aud: "other" })),
            role: null,
          },
          { name: "lowercase scheme", authorization: `bearer ${await jwt(["admin"])}`, role: null },
          {
            name: "static token (unset here)",
            authorization: bearer("test-static-token"),
            role: null,
          },
          { name: "no roles", authorization: bearer(await jwt([])), role: null },
          { name: "viewer", authorization: bearer(await jwt(["viewer"])), role: "viewer" },
          { name: "operator", authorization: bearer(await jwt(["operator"])), role: "operator" },
          { name: "admin", authorization: bearer(await jwt(["admin"])), role: "admin" },
          {
            name: "unknown+viewer",
            authorization: bearer(await jwt(["root", "viewer"])),
            role: "viewer",
          },
        ];
        // Sign-in sessions: the account row decides, so disabled, deleted and
        // password-reset accounts are refused whatever their token says.
        const svc = { sub: "role-walk", roles: ["admin" as const], source: null };
        const account = async (name: string, role: Role) => {
          await createAccount(jwtBe.deps, svc, { username: name, password: `${name}-pass`, role });
          return bearer(await tokenFor(jwtBe, name, `${name}-pass`));
        };
        for (const role of ["viewer", "operator", "admin"] as const) {
          ids.push({
            name: `account ${role}`,
            authorization: await account(`acct-${role}`, role),
            role,
          });
        }
        const gone = [
          ["account disabled", await account("acct-disabled", "admin")],
          ["account deleted", await account("acct-deleted", "admin")],
          ["account reset by an admin", await account("acct-reset", "admin")],
        ] as const;
        await updateAccount(jwtBe.deps, svc, "acct-disabled", { disabled: true });
        await deleteAccount(jwtBe.deps, svc, "acct-deleted");
        await updateAccount(jwtBe.deps, svc, "acct-reset", { password: "reset-password" });
        for (const [name, authorization] of gone) ids.push({ name, authorization, role: null });
        // A token with no known role authenticates but holds no role: 403, not 401.
        const noRoles = ids.find((i) => i.name === "no roles")!;
        const results: string[] = [];
        for (const r of allRoutes.filter((r) => r.role !== "public")) {
          const o = await call(jwtBe, r, noRoles);
          if (o.status !== 403) results.push(`${r.method} ${r.path} → ${o.status}`);
        }
        assert.deepEqual(results, [], "a role-less JWT is 403 everywhere protected");
        tried += allRoutes.filter((r) => r.role !== "public").length;
        tried += await walk(jwtBe, ids.filter((i) => i !== noRoles));
      });

      await t.step("static-token backend", async () => {
        tried += await walk(staticBe, [
          { name: "no token", authorization: "", role: null },
          { name: "wrong static token", authorization: bearer("test-static-tokeN"), role: null },
          { name: "prefix of the token", authorization: bearer("test-static"), role: null },
          { name: "JWT (no secret here)", authorization: bearer(await jwt(["admin"])), role: null },
          { name: "static token", authorization: bearer("test-static-token"), role: "admin" },
          {
            name: "static token, padded",
            authorization: `  Bearer   test-static-token  `,
            role: "admin",
          },
        ]);
      });

      await t.step("unknown routes: 401 before 404/405, JSON everywhere", async () => {
        const anon = await staticBe.request("/api/authwalk-nope", {
          headers: { authorization: "" },
        });
        assert.equal(anon.status, 401);
        const res = await staticBe.request("/api/authwalk-nope");
        assert.equal(res.status, 404);
        assert.deepEqual(await res.json(), {
          error: "no route GET /api/authwalk-nope",
          status: 404,
        });
        const get = allRoutes.find((r) => r.role !== "public" && r.method === "GET")!;
        const wrong = await staticBe.request(concretePath(get.path), { method: "PATCH" });
        const methods = allRoutes.filter((r) => r.path === get.path).map((r) => r.method);
        if (!methods.includes("PATCH")) {
          assert.equal(wrong.status, 405);
          assert.match(wrong.headers.get("allow") ?? "", /GET/);
          assert.equal((await wrong.json()).status, 405);
        }
      });
      await recordFigures({
        suite: "role_walk",
        requests: tried,
        notes: `${allRoutes.length} routes × 24 kinds of caller (JWT and static-token backends)`,
      });
    } finally {
      await staticBe.stop();
      await jwtBe.stop();
    }
  },
});

Deno.test("role policy: public is only /health, /api/version and sign-in; writes need operator", () => {
  const PUBLIC_OK = new Set(["GET /health", "GET /api/version", "POST /api/auth/login"]);
  // Self-service on the caller's own account: any signed-in role may do it.
  const SELF_SERVICE = new Set([
    "POST /api/auth/change-password",
    "POST /api/auth/mfa/init",
    "POST /api/auth/mfa/verify",
    "POST /api/auth/mfa/disable",
  ]);
  const wrong: string[] = [];
  for (const r of allRoutes) {
    const key = `${r.method} ${r.path}`;
    if (r.role === "public" && !PUBLIC_OK.has(key)) wrong.push(`${key} must not be public`);
    if (
      r.method !== "GET" && (r.role === "viewer" || r.role === "public") &&
      !PUBLIC_OK.has(key) && !SELF_SERVICE.has(key)
    ) {
      wrong.push(`${key} changes state but only needs '${r.role}'`);
    }
    // Outside /api only the probes' conventional paths: liveness and the Prometheus scrape.
    const probe = r.path === "/health" || r.path === "/metrics";
    if (!r.path.startsWith("/api/") && !probe) wrong.push(`${key} is outside /api`);
  }
  assert.deepEqual(wrong, []);
});

Deno.test({
  name: "body caps: every writing route refuses a body past its cap with a JSON 413",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const be = await startTestBackend({ env: { KANADE_REQUEST_TIMEOUT_MS: "3000" } });
    try {
      const bad: string[] = [];
      for (const r of allRoutes.filter((r) => r.method !== "GET")) {
        const cap = r.bodyLimit ?? DEFAULT_BODY_LIMIT;
        // Only a route that streams its body (never buffered) may take more than 65 MiB.
        if (cap > 64 * 1024 * 1024 + 1024 * 1024 && !r.streamBody) {
          bad.push(`${r.method} ${r.path}: cap ${cap} is above 65 MiB and the body is buffered`);
        }
        if (cap > 8 * 1024 * 1024) continue; // big upload caps: the policy check above is enough
        const body = JSON.stringify({ pad: "x".repeat(cap) });
        const res = await be.request(concretePath(r.path), {
          method: r.method,
          headers: { "content-type": "application/json" },
          body,
        });
        const text = await res.text();
        if (res.status !== 413) {
          bad.push(`${r.method} ${r.path}: ${res.status} ${text.slice(0, 100)}`);
        } else if (JSON.parse(text).status !== 413) bad.push(`${r.method} ${r.path}: body ${text}`);
      }
      assert.deepEqual(bad, []);
    } finally {
      await be.stop();
    }
  },
});
