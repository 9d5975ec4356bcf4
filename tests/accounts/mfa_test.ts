/**
 * TOTP MFA end to end with codes computed by the test (RFC 6238 through `otpauth`):
 * enrol, sign-in needing a code, a code accepted once, rotation needing a current code,
 * disable, an admin clearing it, and the secret sealed at rest (not in KV in clear).
 * The server's clock is moved through `deps.now`, so no test waits for a 30 s step.
 */
import assert from "node:assert/strict";
import { startTestBackend } from "../helpers/backend.ts";
import { accountsEnv, call, createAccount, login, tokenFor } from "../helpers/accounts.ts";
import { totpCode } from "../../lib/accounts/totp.ts";
import type { AccountsDeps } from "../../lib/accounts/context.ts";
import { BUCKET, KEY_ACCOUNTS } from "../../wire/names.ts";
import { SUBJECT } from "../../wire/names.ts";

Deno.test("MFA: enrol, sign in with a code, no replay, rotate, disable, admin clear", async () => {
  const be = await startTestBackend({ env: accountsEnv() });
  let now = Date.now();
  (be.deps as AccountsDeps).now = () => now;
  const step = () => (now += 30_000); // the next TOTP time step
  const actions: string[] = [];
  const sub = be.deps.nats.nc.subscribe(SUBJECT.auditFilter, {
    callback: (_e, m) => void actions.push(m.json<{ action: string }>().action),
  });
  try {
    await createAccount(be, "mia", "mia-password-1", "operator");
    let token = await tokenFor(be, "mia", "mia-password-1");

    const init = await call(be, token, "POST", "/api/auth/mfa/init");
    assert.equal(init.status, 200);
    const secret = init.body.secret as string;
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.equal(
      init.body.otpauth_url,
      `otpauth://totp/kanade:mia?issuer=kanade&secret=${secret}&algorithm=SHA1&digits=6&period=30`,
    );
    assert.match(init.body.qr_svg as string, /^<svg[^>]*viewBox/);
    // A service token has no account to enrol.
    assert.equal((await call(be, be.token, "POST", "/api/auth/mfa/init")).status, 400);
    // Nothing stored by init.
    assert.equal((await call(be, token, "GET", "/api/auth/me")).body.mfa, false);

    const wrong = await call(be, token, "POST", "/api/auth/mfa/verify", { secret, code: "000000" });
    assert.deepEqual(wrong.body, { error: "invalid code", status: 400 });
    const badSecret = await call(be, token, "POST", "/api/auth/mfa/verify", {
      secret: "not base32!",
      code: "123456",
    });
    assert.equal(badSecret.status, 400);
    const ok = await call(be, token, "POST", "/api/auth/mfa/verify", {
      secret,
      code: totpCode(secret, now),
    });
    assert.equal(ok.status, 204, JSON.stringify(ok.body));
    assert.equal((await call(be, token, "GET", "/api/auth/me")).body.mfa, true);

    // At rest the secret is sealed: the KV entry does not contain it.
    const raw = await (await be.deps.nats.kv(BUCKET.accounts)).get(KEY_ACCOUNTS);
    const stored = new TextDecoder().decode(raw!.value);
    assert.ok(!stored.includes(secret), "TOTP secret stored in clear");
    assert.match(stored, /"totp":"v1\./);

    // Sign-in now needs the code; the enrolment code itself was used up.
    assert.deepEqual((await login(be, "mia", "mia-password-1")).body, {
      error: "mfa code required",
      status: 401,
    });
    assert.deepEqual((await login(be, "mia", "wrong-password", totpCode(secret, now))).body, {
      error: "invalid credentials",
      status: 401,
    });
    assert.equal((await login(be, "mia", "mia-password-1", totpCode(secret, now))).status, 401);
    step();
    const code = totpCode(secret, now);
    const signed = await login(be, "mia", "mia-password-1", code);
    assert.equal(signed.status, 200, JSON.stringify(signed.body));
    token = signed.body.token as string;
    // The same code again, even at once and from "another" client: refused.
    assert.deepEqual((await login(be, "mia", "mia-password-1", code)).body, {
      error: "invalid credentials",
      status: 401,
    });
    // ±1 step of skew: the previous step's code is older than the one used: refused;
    // the next step's code is accepted.
    assert.equal(
      (await login(be, "mia", "mia-password-1", totpCode(secret, now - 30_000))).status,
      401,
    );
    assert.equal(
      (await login(be, "mia", "mia-password-1", totpCode(secret, now + 30_000))).status,
      200,
    );
    step();
    step();

    // Rotation needs a current code.
    const init2 = await call(be, token, "POST", "/api/auth/mfa/init");
    const secret2 = init2.body.secret as string;
    const noCurrent = await call(be, token, "POST", "/api/auth/mfa/verify", {
      secret: secret2,
      code: totpCode(secret2, now),
    });
    assert.equal(noCurrent.status, 400);
    assert.match(noCurrent.body.error!, /current_code required/);
    const rotated = await call(be, token, "POST", "/api/auth/mfa/verify", {
      secret: secret2,
      code: totpCode(secret2, now),
      current_code: totpCode(secret, now),
    });
    assert.equal(rotated.status, 204, JSON.stringify(rotated.body));
    step();
    assert.equal((await login(be, "mia", "mia-password-1", totpCode(secret, now))).status, 401);

    // Disable needs a current code of the enrolled secret.
    assert.equal(
      (await call(be, token, "POST", "/api/auth/mfa/disable", { code: "123456" })).status,
      400,
    );
    const off = await call(be, token, "POST", "/api/auth/mfa/disable", {
      code: totpCode(secret2, now),
    });
    assert.equal(off.status, 204, JSON.stringify(off.body));
    assert.equal((await login(be, "mia", "mia-password-1")).status, 200);
    assert.equal(
      (await call(be, token, "POST", "/api/auth/mfa/disable", { code: "123456" })).status,
      400,
      "not enabled",
    );

    // An admin clears someone's MFA (lost phone).
    step();
    await call(be, token, "POST", "/api/auth/mfa/verify", {
      secret: secret2,
      code: totpCode(secret2, now),
    });
    assert.equal((await login(be, "mia", "mia-password-1")).status, 401);
    assert.equal(
      (await call(be, be.token, "PATCH", "/api/accounts/mia", { mfa: false })).status,
      204,
    );
    assert.equal((await login(be, "mia", "mia-password-1")).status, 200);
    const list = await call(be, be.token, "GET", "/api/accounts");
    const row = (list.body as unknown as { username: string; mfa: number }[])
      .find((a) => a.username === "mia")!;
    assert.equal(row.mfa, 0);

    await be.deps.nats.nc.flush();
    await new Promise((r) => setTimeout(r, 100));
    for (const a of ["account.mfa_enable", "account.mfa_disable"]) {
      assert.ok(actions.includes(a), `${a} audited: ${actions}`);
    }
    assert.equal(actions.filter((a) => a === "account.mfa_disable").length, 2);
  } finally {
    sub.unsubscribe();
    await be.stop();
  }
});

Deno.test("MFA: with no KANADE_MFA_KEY, enrolment is refused (503) for everyone", async () => {
  const be = await startTestBackend({ env: accountsEnv({ KANADE_MFA_KEY: "" }) });
  try {
    await createAccount(be, "nok", "nok-password-1", "viewer");
    const token = await tokenFor(be, "nok", "nok-password-1");
    const r = await call(be, token, "POST", "/api/auth/mfa/init");
    assert.equal(r.status, 503);
    assert.match(r.body.error!, /KANADE_MFA_KEY/);
    const svc = await call(be, be.token, "POST", "/api/auth/mfa/init");
    assert.equal(svc.status, 503);
  } finally {
    await be.stop();
  }
});
