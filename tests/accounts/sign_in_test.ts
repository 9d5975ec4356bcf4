/**
 * Password sign-in end to end on a real broker: bootstrap admin and its forced password
 * change, login answers, token invalidation after a password change or admin reset,
 * disabled / deleted / demoted accounts losing their rights on the next request, the
 * admin API with upstream's texts, hashes never in a response, and the audit trail.
 */
import assert from "node:assert/strict";
import { startTestBackend, type TestBackend } from "../helpers/backend.ts";
import {
  accountsEnv,
  adminSession,
  BOOT_PASSWORD,
  BOOT_USER,
  call,
  createAccount,
  JWT_SECRET,
  login,
  tokenFor,
} from "../helpers/accounts.ts";
import { mintJwt } from "../../lib/auth.ts";
import { SUBJECT } from "../../wire/names.ts";

async function withBackend(fn: (be: TestBackend) => Promise<void>) {
  const be = await startTestBackend({ env: accountsEnv() });
  try {
    await fn(be);
  } finally {
    await be.stop();
  }
}

Deno.test("sign-in: bootstrap admin, forced password change, sessions ended by it", async () => {
  await withBackend(async (be) => {
    const first = await login(be, BOOT_USER, BOOT_PASSWORD);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(Object.keys(first.body).sort(), ["exp", "must_change_pw", "role", "token"]);
    assert.equal(first.body.role, "admin");
    assert.equal(first.body.must_change_pw, true);
    const token = first.body.token as string;
    const claims = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    assert.equal(claims.sub, BOOT_USER);
    assert.equal(claims.aud, "kanade");
    assert.deepEqual(claims.roles, ["admin"]);
    assert.equal(claims.exp, first.body.exp);
    assert.ok(claims.exp - Date.now() / 1000 > 11 * 3600, "12 h session by default");

    // Until the password is changed, only /me and the change itself are open.
    const me = await call(be, token, "GET", "/api/auth/me");
    assert.deepEqual(me.body, {
      username: BOOT_USER,
      role: "admin",
      must_change_pw: true,
      mfa: false,
      mfa_enabled: false,
      account: true,
    });
    const blocked = await call(be, token, "GET", "/api/accounts");
    assert.equal(blocked.status, 403);
    assert.match(blocked.body.error!, /password change required/);

    // Upstream's checks in upstream's order.
    const short = await call(be, token, "POST", "/api/auth/change-password", {
      old_password: "wrong",
      new_password: "short",
    });
    assert.deepEqual(short.body, { error: "new password too short (min 8 chars)", status: 400 });
    const wrongOld = await call(be, token, "POST", "/api/auth/change-password", {
      old_password: "wrong-old-password",
      new_password: "new-password-9",
    });
    assert.deepEqual(wrongOld.body, { error: "old password incorrect", status: 401 });
    const changed = await call(be, token, "POST", "/api/auth/change-password", {
      old_password: BOOT_PASSWORD,
      new_password: "new-password-9",
    });
    assert.equal(changed.status, 204);
    const fresh = changed.headers.get("x-kanade-token")!;
    assert.ok(fresh && fresh !== token);

    // The token from before the change is dead; the fresh one works without restriction.
    const old = await call(be, token, "GET", "/api/auth/me");
    assert.equal(old.status, 401);
    assert.match(old.body.error!, /session ended/);
    assert.equal((await call(be, fresh, "GET", "/api/accounts")).status, 200);
    assert.equal((await call(be, fresh, "GET", "/api/auth/me")).body.must_change_pw, false);
    assert.equal((await login(be, BOOT_USER, BOOT_PASSWORD)).status, 401, "old password");
    assert.equal((await login(be, BOOT_USER, "new-password-9")).status, 200);
  });
});

Deno.test("sign-in: unknown, wrong and disabled are one 401; callers that are not accounts", async () => {
  await withBackend(async (be) => {
    await createAccount(be, "viv", "viewer-pass-1", "viewer");
    await createAccount(be, "dora", "dora-pass-11", "operator");
    assert.equal(
      (await call(be, be.token, "PATCH", "/api/accounts/dora", { disabled: true })).status,
      204,
    );
    for (
      const [u, p] of [["nobody", "whatever-1"], ["viv", "wrong-pass-1"], ["dora", "dora-pass-11"]]
    ) {
      const r = await login(be, u, p);
      assert.deepEqual(r.body, { error: "invalid credentials", status: 401 }, `${u}`);
    }
    // The username is not trimmed.
    assert.equal((await login(be, " viv", "viewer-pass-1")).status, 401);
    const viv = await tokenFor(be, "viv", "viewer-pass-1");
    assert.equal((await call(be, viv, "GET", "/api/agents")).status, 200);
    assert.equal((await call(be, viv, "GET", "/api/accounts")).status, 403);
    // Bad bodies are 400s, never 500s.
    for (const body of [{}, { username: 1, password: "x" }, { username: "a" }]) {
      assert.equal((await call(be, null, "POST", "/api/auth/login", body)).status, 400);
    }
    // The static token is `service-token`, admin; it has no password to change.
    assert.deepEqual((await call(be, be.token, "GET", "/api/auth/me")).body, {
      username: "service-token",
      role: "admin",
      must_change_pw: false,
      mfa: false,
      mfa_enabled: false,
      account: false,
    });
    const svc = await call(be, be.token, "POST", "/api/auth/change-password", {
      old_password: "x-x-x-x-x",
      new_password: "y-y-y-y-y",
    });
    assert.equal(svc.status, 400);
    // A `deno task token` service JWT (no `sv`) keeps its roles, account or not.
    const bot = await mintJwt(JWT_SECRET, { sub: "ci-bot", roles: ["operator"], ttlSecs: 600 });
    const botMe = await call(be, bot, "GET", "/api/auth/me");
    assert.deepEqual([botMe.body.username, botMe.body.role], ["ci-bot", "operator"]);
  });
  const off = await startTestBackend({ env: { KANADE_AUTH_DISABLE: "1" } });
  try {
    const r = await call(off, null, "GET", "/api/auth/me");
    assert.deepEqual([r.body.username, r.body.role], ["auth-disabled", "admin"]);
  } finally {
    await off.stop();
  }
});

Deno.test("sign-in: the account row decides every request (disable, delete, demote, reset)", async () => {
  await withBackend(async (be) => {
    await createAccount(be, "olga", "olga-pass-11", "admin");
    await createAccount(be, "pete", "pete-pass-11", "operator");
    const olga = await tokenFor(be, "olga", "olga-pass-11");
    const pete = await tokenFor(be, "pete", "pete-pass-11");
    assert.equal((await call(be, olga, "GET", "/api/accounts")).status, 200);

    // Demoted: the token still says admin, the row says viewer.
    await call(be, be.token, "PATCH", "/api/accounts/olga", { role: "viewer" });
    assert.equal((await call(be, olga, "GET", "/api/accounts")).status, 403);
    assert.equal((await call(be, olga, "GET", "/api/auth/me")).body.role, "viewer");
    // Disabled: 401 "account disabled" (not 403: the SPA signs out).
    await call(be, be.token, "PATCH", "/api/accounts/olga", { disabled: true });
    assert.deepEqual((await call(be, olga, "GET", "/api/agents")).body, {
      error: "account disabled",
      status: 401,
    });
    await call(be, be.token, "PATCH", "/api/accounts/olga", { disabled: false, role: "admin" });
    assert.equal((await call(be, olga, "GET", "/api/accounts")).status, 200, "back again");
    // Deleted: 401 "unknown account", even if re-created under the same name later.
    assert.equal((await call(be, be.token, "DELETE", "/api/accounts/pete")).status, 204);
    assert.deepEqual((await call(be, pete, "GET", "/api/agents")).body, {
      error: "unknown account",
      status: 401,
    });
    // Admin password reset: earlier tokens die, the user must change it at next sign-in.
    assert.equal(
      (await call(be, be.token, "PATCH", "/api/accounts/olga", { password: "reset-pass-1" }))
        .status,
      204,
    );
    assert.equal((await call(be, olga, "GET", "/api/agents")).status, 401);
    const again = await login(be, "olga", "reset-pass-1");
    assert.equal(again.body.must_change_pw, true);
  });
});

Deno.test("accounts API: upstream validation, texts and statuses; no hash ever answered", async () => {
  await withBackend(async (be) => {
    const admin = await adminSession(be);
    const post = (body: unknown) => call(be, admin, "POST", "/api/accounts", body);
    const cases: [unknown, number, string][] = [
      [{ username: "  ", password: "long-enough", role: "viewer" }, 400, "username required"],
      [
        { username: "a", password: "short", role: "viewer" },
        400,
        "password too short (min 8 chars)",
      ],
      [
        { username: "a", password: "long-enough", role: "root" },
        400,
        "role must be viewer/operator/admin",
      ],
      [
        { username: "x".repeat(65), password: "long-enough", role: "viewer" },
        400,
        "username must be at most 64 characters without control characters",
      ],
    ];
    for (const [body, status, error] of cases) {
      assert.deepEqual((await post(body)).body, { error, status }, JSON.stringify(body));
    }
    // 8 code points, not bytes: "ééééé日本語" is 8 characters.
    assert.equal(
      (await post({ username: "  uni  ", password: "ééééé日本語", role: "viewer" })).status,
      201,
    );
    assert.deepEqual(
      (await post({ username: "uni", password: "long-enough", role: "viewer" })).body,
      {
        error: "username already exists",
        status: 409,
      },
    );
    assert.equal(
      (await post({ username: "__proto__", password: "long-enough", role: "operator" })).status,
      201,
    );
    const list = await call(be, admin, "GET", "/api/accounts");
    assert.deepEqual(
      (list.body as unknown as { username: string }[]).map((a) => a.username),
      ["__proto__", "admin", "uni"],
    );
    const uni = (list.body as unknown as Record<string, unknown>[]).find((a) =>
      a.username === "uni"
    )!;
    assert.deepEqual(Object.keys(uni).sort(), [
      "created_at",
      "disabled",
      "mfa",
      "must_change_pw",
      "role",
      "updated_at",
      "username",
    ]);
    assert.deepEqual([uni.disabled, uni.must_change_pw, uni.mfa], [0, 0, 0]);
    assert.doesNotMatch(JSON.stringify(list.body), /argon2|password/);

    const patch = (u: string, body: unknown) =>
      call(be, admin, "PATCH", `/api/accounts/${encodeURIComponent(u)}`, body);
    assert.deepEqual((await patch("ghost", { role: "viewer" })).body, {
      error: "no such account",
      status: 404,
    });
    // Every field is validated before any write: a bad password leaves the role as it was.
    assert.equal((await patch("uni", { role: "admin", password: "short" })).status, 400);
    const unchanged = (await call(be, admin, "GET", "/api/accounts")).body as unknown as {
      username: string;
      role: string;
    }[];
    assert.equal(unchanged.find((a) => a.username === "uni")!.role, "viewer");
    assert.equal((await patch("uni", { mfa: true })).status, 400);
    assert.equal((await patch("uni", { disabled: "yes" })).status, 400);
    assert.equal((await patch("__proto__", { role: "admin" })).status, 204);
    assert.deepEqual((await call(be, admin, "DELETE", "/api/accounts/ghost")).body, {
      error: "no such account",
      status: 404,
    });
    // Guards: the last enabled admin (now: admin and __proto__).
    assert.equal((await call(be, admin, "DELETE", "/api/accounts/__proto__")).status, 204);
    for (
      const [req, msg] of [
        [() => patch("admin", { role: "operator" }), "cannot demote the last enabled admin"],
        [() => patch("admin", { disabled: true }), "cannot disable the last enabled admin"],
        [
          () => call(be, admin, "DELETE", "/api/accounts/admin"),
          "cannot delete the last enabled admin",
        ],
      ] as const
    ) {
      assert.deepEqual((await req()).body, { error: msg, status: 409 });
    }
    // Deleting yourself is fine while another enabled admin exists.
    await patch("uni", { role: "admin" });
    assert.equal((await call(be, admin, "DELETE", "/api/accounts/admin")).status, 204);
    assert.equal((await call(be, admin, "GET", "/api/agents")).status, 401, "deleted self");
  });
});

Deno.test("accounts: audit events, with the caller and never a secret", async () => {
  await withBackend(async (be) => {
    const seen: { subject: string; body: Record<string, unknown> }[] = [];
    const sub = be.deps.nats.nc.subscribe(SUBJECT.auditFilter, {
      callback: (_e, m) => void seen.push({ subject: m.subject, body: m.json() }),
    });
    try {
      const admin = await adminSession(be, "audit-admin-pw");
      await call(be, admin, "POST", "/api/accounts", {
        username: "al",
        password: "al-password-1",
        role: "viewer",
      });
      await call(be, admin, "PATCH", "/api/accounts/al", {
        role: "operator",
        password: "al-reset-pw-2",
      });
      await login(be, "al", "definitely-wrong");
      await call(be, admin, "DELETE", "/api/accounts/al");
      await be.deps.nats.nc.flush();
      const actions = () => seen.map((s) => s.body.action);
      for (let i = 0; i < 50 && !actions().includes("account.delete"); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.deepEqual(actions(), [
        "account.login",
        "account.change_password",
        "account.create",
        "account.update",
        "account.login_failed",
        "account.delete",
      ]);
      const create = seen.find((s) => s.body.action === "account.create")!;
      assert.equal(create.subject, "audit.admin.account.create.al");
      assert.deepEqual(create.body.payload, { role: "viewer", sub: "admin", source: null });
      const update = seen.find((s) => s.body.action === "account.update")!.body.payload;
      assert.deepEqual(update, {
        role: "operator",
        disabled: null,
        password_reset: true,
        mfa_cleared: false,
        sub: "admin",
        source: null,
      });
      const failed = seen.find((s) => s.body.action === "account.login_failed")!.body;
      assert.equal(failed.target, "al");
      assert.deepEqual(failed.payload, { client: "unknown", reason: "wrong password" });
      const all = JSON.stringify(seen);
      for (
        const secret of [
          "audit-admin-pw",
          "al-password-1",
          "al-reset-pw-2",
          "definitely-wrong",
          BOOT_PASSWORD,
        ]
      ) {
        assert.ok(!all.includes(secret), `audit carries ${secret}`);
      }
      assert.doesNotMatch(all, /argon2|eyJ/);
    } finally {
      sub.unsubscribe();
    }
  });
});
