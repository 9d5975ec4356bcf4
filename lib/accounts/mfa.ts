/**
 * TOTP enrolment by the account's owner (upstream #1192): init proposes a secret and
 * stores nothing; verify proves the authenticator has it and enables it (replacing an
 * enrolled one needs a current code); disable needs a current code. Secrets are sealed
 * with KANADE_MFA_KEY before they reach KV. Wrong codes count as sign-in failures of the
 * account, so a stolen session cannot guess its way through the second factor.
 */
import { z } from "zod";
import { renderSVG } from "uqr";
import type { Caller } from "../auth.ts";
import { badRequest, unavailable } from "../errors.ts";
import { nowWire } from "../../wire/time.ts";
import { type Account, findAccount, updateOwn } from "./model.ts";
import { readAccounts, updateAccounts } from "./store.ts";
import { assertNotThrottled, consumeTotpStep, recordFailure } from "./throttle.ts";
import { isTotpSecret, matchTotpStep, newTotpSecret, otpauthUrl } from "./totp.ts";
import { seal } from "./secret_box.ts";
import { type AccountsDeps, clock, ownAccount } from "./context.ts";
import { acceptTotp, audit } from "./sessions.ts";

function mfaKey(d: AccountsDeps): string {
  if (!d.config.mfaKey) {
    throw unavailable("MFA is not available: the server has no KANADE_MFA_KEY");
  }
  return d.config.mfaKey;
}

async function current(d: AccountsDeps, username: string): Promise<Account> {
  const a = findAccount(await readAccounts(d.nats), username);
  if (!a) throw badRequest("unknown account");
  return a;
}

/** A wrong code: counted against the account, then 400 (a 401 would sign the SPA out). */
async function wrongCode(d: AccountsDeps, username: string, what: string): Promise<never> {
  await recordFailure(d.nats, { username }, clock(d), d.config.loginLockSecs * 1000);
  throw badRequest(`invalid ${what}`);
}

export const MfaProposalSchema = z.object({
  secret: z.string(),
  otpauth_url: z.string(),
  /** The otpauth URL as a QR code (SVG rendered here by `uqr`; no external service). */
  qr_svg: z.string(),
});
export type MfaProposal = z.infer<typeof MfaProposalSchema>;

export const MfaVerifySchema = z.object({
  secret: z.string().max(256),
  code: z.string().max(64),
  current_code: z.string().max(64).optional(),
});

export const MfaDisableSchema = z.object({ code: z.string().max(64) });

/** The account's sealed TOTP secret replaced (`null`: MFA off), compare-and-swap. */
async function storeTotp(d: AccountsDeps, username: string, totp: string | null): Promise<void> {
  await updateAccounts(d.nats, (doc) => {
    const r = updateOwn(doc, username, (cur) => ({ ...cur, totp, updated_at: nowWire() }));
    if (!r) throw badRequest("unknown account");
    return r.doc;
  });
}

export async function mfaInit(d: AccountsDeps, caller: Caller): Promise<MfaProposal> {
  mfaKey(d);
  const a = await current(d, ownAccount(caller));
  const secret = newTotpSecret();
  const url = otpauthUrl(secret, a.username);
  return { secret, otpauth_url: url, qr_svg: renderSVG(url, { border: 2 }) };
}

export async function mfaVerify(
  d: AccountsDeps,
  caller: Caller,
  input: z.infer<typeof MfaVerifySchema>,
): Promise<void> {
  const key = mfaKey(d);
  const username = ownAccount(caller);
  const secret = input.secret.trim().toUpperCase();
  if (!isTotpSecret(secret)) throw badRequest("secret must be base32 (16 to 128 characters)");
  await assertNotThrottled(d.nats, { username }, clock(d));
  const a = await current(d, username);
  if (a.totp) {
    if (!input.current_code) {
      throw badRequest("current_code required: MFA is already enabled (give a code of it)");
    }
    if (!await acceptTotp(d, a, input.current_code)) await wrongCode(d, username, "current_code");
  }
  const step = matchTotpStep(secret, input.code, clock(d));
  if (step === null) throw badRequest("invalid code");
  // The enrolment code counts as used: it cannot sign in a second time.
  await consumeTotpStep(d.nats, username, step);
  const sealed = await seal(key, secret, username);
  await storeTotp(d, username, sealed);
  await audit(d, "account.mfa_enable", username, { rotated: a.totp !== null }, caller);
}

export async function mfaDisable(
  d: AccountsDeps,
  caller: Caller,
  input: z.infer<typeof MfaDisableSchema>,
): Promise<void> {
  const username = ownAccount(caller);
  await assertNotThrottled(d.nats, { username }, clock(d));
  const a = await current(d, username);
  if (!a.totp) throw badRequest("MFA is not enabled for this account");
  if (!await acceptTotp(d, a, input.code)) await wrongCode(d, username, "code");
  await storeTotp(d, username, null);
  await audit(d, "account.mfa_disable", username, { by_admin: false }, caller);
}
