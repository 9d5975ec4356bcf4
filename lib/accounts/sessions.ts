/**
 * Password sign-in and what a signed-in user does with their own password: login
 * (`POST /api/auth/login`), who am I (`GET /api/auth/me`) and change-password. Session
 * tokens are HS256 JWTs `{sub, exp, aud: "kanade", roles: [role], sv}` signed with
 * KANADE_JWT_SECRET; `sv` is the account's session generation (see `caller.ts`).
 */
import { z } from "zod";
import { type Caller, mintJwt, type Role } from "../auth.ts";
import { recordAudit } from "../audit.ts";
import { conflict, unauthorized, unavailable } from "../errors.ts";
import { nowWire } from "../../wire/time.ts";
import { type Account, checkPassword, findAccount, updateOwn } from "./model.ts";
import { readAccounts, updateAccounts } from "./store.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";
import { assertNotThrottled, clearFailures, consumeTotpStep, recordFailure } from "./throttle.ts";
import { matchTotpStep } from "./totp.ts";
import { open } from "./secret_box.ts";
import { type AccountsDeps, clock, ownAccount } from "./context.ts";
import { log } from "../log.ts";

export const LoginSchema = z.object({
  // Not trimmed (upstream): the name is matched as typed.
  username: z.string().max(1024),
  password: z.string().max(4096),
  /** The TOTP code, when the account has MFA. */
  code: z.string().max(64).optional(),
});
export type LoginInput = z.infer<typeof LoginSchema>;

export const SessionSchema = z.object({
  token: z.string(),
  role: z.enum(["viewer", "operator", "admin"]),
  must_change_pw: z.boolean(),
  /** Expiry, unix seconds. */
  exp: z.number().int(),
});
export type Session = z.infer<typeof SessionSchema>;

export const ChangePasswordSchema = z.object({
  old_password: z.string().max(4096),
  new_password: z.string().max(4096),
});

function jwtSecret(d: AccountsDeps): string {
  const s = d.config.jwtSecret;
  if (!s) {
    throw unavailable("password sign-in is not configured: the server has no KANADE_JWT_SECRET");
  }
  return s;
}

/** A fresh session token for an account as it is now. */
export async function mintSession(d: AccountsDeps, a: Account): Promise<Session> {
  const now = Math.floor(clock(d) / 1000);
  const ttlSecs = d.config.sessionTtlHours * 3600;
  const token = await mintJwt(jwtSecret(d), {
    sub: a.username,
    roles: [a.role],
    ttlSecs,
    nowSecs: now,
    extra: { sv: a.session },
  });
  return { token, role: a.role, must_change_pw: a.must_change_pw, exp: now + ttlSecs };
}

const INVALID = "invalid credentials";

/** The TOTP secret of an account in clear (the key is checked at start-up). */
export async function totpSecretOf(d: AccountsDeps, a: Account): Promise<string> {
  if (!a.totp) throw new Error("no MFA secret");
  if (!d.config.mfaKey) {
    throw unavailable("MFA secrets cannot be read: the server has no KANADE_MFA_KEY");
  }
  return await open(d.config.mfaKey, a.totp, a.username);
}

/**
 * A code for an account with MFA: valid within ±1 step and newer than every code it
 * used before (accepted once).
 */
export async function acceptTotp(d: AccountsDeps, a: Account, code: string): Promise<boolean> {
  const step = matchTotpStep(await totpSecretOf(d, a), code, clock(d));
  return step !== null && await consumeTotpStep(d.nats, a.username, step);
}

/**
 * Unknown user, wrong password and disabled account are one 401 "invalid credentials";
 * the password is verified in every case (a dummy hash for an unknown name), so the
 * three take the same time. Failures are throttled per username and client address.
 */
export async function login(d: AccountsDeps, input: LoginInput, client: string): Promise<Session> {
  jwtSecret(d);
  const who = { username: input.username, client };
  await assertNotThrottled(d.nats, who, clock(d));
  const doc = await readAccounts(d.nats);
  const a = findAccount(doc, input.username);
  const passwordOk = await verifyPassword(a?.password_hash ?? null, input.password);
  const fail = async (reason: string) => {
    await recordFailure(d.nats, who, clock(d), d.config.loginLockSecs * 1000);
    await audit(d, "account.login_failed", input.username, { client, reason });
    return unauthorized(INVALID);
  };
  if (!a || !passwordOk || a.disabled) {
    throw await fail(!a ? "unknown account" : a.disabled ? "account disabled" : "wrong password");
  }
  if (a.totp) {
    // The password was right: say a code is needed (upstream), without counting a failure.
    if (input.code === undefined || input.code === "") throw unauthorized("mfa code required");
    if (!await acceptTotp(d, a, input.code)) throw await fail("wrong or reused mfa code");
  }
  await clearFailures(d.nats, a.username);
  const session = await mintSession(d, a);
  await audit(d, "account.login", a.username, { client, mfa: a.totp !== null });
  return session;
}

export const MeSchema = z.object({
  username: z.string(),
  role: z.enum(["viewer", "operator", "admin"]),
  must_change_pw: z.boolean(),
  mfa: z.boolean(),
  /** The later SPA's name for `mfa`. */
  mfa_enabled: z.boolean(),
  /** False for the static token, service JWTs and auth-off: nothing to manage. */
  account: z.boolean(),
});
export type Me = z.infer<typeof MeSchema>;

/** `GET /api/auth/me`: the caller as the row says (the row was read to authenticate). */
export async function me(d: AccountsDeps, caller: Caller): Promise<Me> {
  const role: Role = caller.roles[0] ?? "viewer";
  if (caller.kind !== "account" || !caller.sub) {
    const username = caller.sub ?? "unknown";
    return {
      username,
      role,
      must_change_pw: false,
      mfa: false,
      mfa_enabled: false,
      account: false,
    };
  }
  const a = findAccount(await readAccounts(d.nats), caller.sub);
  const mfa = !!a?.totp;
  return {
    username: caller.sub,
    role: a?.role ?? role,
    must_change_pw: a?.must_change_pw ?? false,
    mfa,
    mfa_enabled: mfa,
    account: true,
  };
}

/**
 * Self-service password change: upstream's checks in upstream's order, then the new
 * hash, `must_change_pw` cleared and the session generation bumped (every token issued
 * before stops working). Returns a fresh session for the caller.
 */
export async function changePassword(
  d: AccountsDeps,
  caller: Caller,
  input: z.infer<typeof ChangePasswordSchema>,
): Promise<Session> {
  checkPassword(input.new_password, "new password");
  const username = ownAccount(caller);
  const a = findAccount(await readAccounts(d.nats), username);
  if (!a) throw unauthorized("unknown account");
  await assertNotThrottled(d.nats, { username }, clock(d));
  if (!await verifyPassword(a.password_hash, input.old_password)) {
    await recordFailure(d.nats, { username }, clock(d), d.config.loginLockSecs * 1000);
    throw unauthorized("old password incorrect");
  }
  const hash = await hashPassword(input.new_password);
  let updated: Account | null = null;
  await updateAccounts(d.nats, (doc) => {
    const r = updateOwn(doc, username, (cur) => {
      // The old password was checked against this hash; a change in between wins.
      if (cur.password_hash !== a.password_hash) {
        throw conflict("the password was changed meanwhile; sign in again");
      }
      return {
        ...cur,
        password_hash: hash,
        must_change_pw: false,
        session: cur.session + 1,
        updated_at: nowWire(),
      };
    });
    if (!r) throw unauthorized("unknown account");
    updated = r.account;
    return r.doc;
  });
  await clearFailures(d.nats, username);
  await audit(d, "account.change_password", username, {}, caller);
  return await mintSession(d, updated!);
}

/** Account events: actor "admin" and target = username as upstream; never a secret. */
export async function audit(
  d: AccountsDeps,
  action: string,
  username: string,
  payload: Record<string, unknown>,
  caller?: Caller,
): Promise<void> {
  await recordAudit(d.nats, { actor: "admin", action, target: username, payload }, caller);
  if (action === "account.login_failed") log.warn("sign-in failed", { username, ...payload });
}
