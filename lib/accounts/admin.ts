/**
 * Account administration (`/api/accounts`, admin role), upstream's validation, texts
 * and statuses. Each change is one compare-and-swap of the accounts entry, with the
 * last-enabled-admin guards decided inside it (`model.ts`), so they hold under any
 * number of concurrent requests and API processes.
 */
import { z } from "zod";
import type { Caller } from "../auth.ts";
import { nowWire } from "../../wire/time.ts";
import {
  type AccountPatch,
  type AccountRow,
  addAccount,
  checkPassword,
  checkRole,
  checkUsername,
  patchAccount,
  removeAccount,
  toRow,
} from "./model.ts";
import { readAccounts, updateAccounts } from "./store.ts";
import { hashPassword } from "./passwords.ts";
import type { AccountsDeps } from "./context.ts";
import { audit } from "./sessions.ts";
import { badRequest } from "../errors.ts";

export async function listAccounts(d: AccountsDeps): Promise<AccountRow[]> {
  return (await readAccounts(d.nats)).accounts.map(toRow);
}

export const CreateAccountSchema = z.object({
  username: z.string().max(1024),
  password: z.string().max(4096),
  role: z.string().max(64),
});

export async function createAccount(
  d: AccountsDeps,
  caller: Caller,
  input: z.infer<typeof CreateAccountSchema>,
): Promise<void> {
  const username = checkUsername(input.username);
  checkPassword(input.password, "password");
  const role = checkRole(input.role);
  const hash = await hashPassword(input.password);
  const now = nowWire();
  await updateAccounts(d.nats, (doc) =>
    addAccount(doc, {
      username,
      role,
      disabled: false,
      must_change_pw: false,
      password_hash: hash,
      totp: null,
      session: 0,
      created_at: now,
      updated_at: now,
    }));
  await audit(d, "account.create", username, { role }, caller);
}

export const AccountUpdateSchema = z.object({
  role: z.string().max(64).optional(),
  password: z.string().max(4096).optional(),
  disabled: z.boolean().optional(),
  /** `false` clears the account's MFA (an admin cannot enrol someone else). */
  mfa: z.boolean().optional(),
});
export type AccountUpdate = z.infer<typeof AccountUpdateSchema>;

export async function updateAccount(
  d: AccountsDeps,
  caller: Caller,
  username: string,
  input: AccountUpdate,
): Promise<void> {
  // Every field is validated before anything is written (upstream).
  const patch: AccountPatch = {};
  if (input.role !== undefined) patch.role = checkRole(input.role);
  if (input.password !== undefined) checkPassword(input.password, "password");
  if (input.disabled !== undefined) patch.disabled = input.disabled;
  if (input.mfa === true) {
    throw badRequest("mfa can only be cleared (false); users enrol their own authenticator");
  }
  if (input.mfa === false) patch.clearMfa = true;
  if (input.password !== undefined) patch.passwordHash = await hashPassword(input.password);
  let mfaCleared = false;
  await updateAccounts(d.nats, (doc) => {
    const before = doc.accounts.find((a) => a.username === username);
    const r = patchAccount(doc, username, patch, nowWire());
    mfaCleared = !!before?.totp && r.account.totp === null;
    return r.doc;
  });
  await audit(d, "account.update", username, {
    role: patch.role ?? null,
    disabled: patch.disabled ?? null,
    password_reset: patch.passwordHash !== undefined,
    mfa_cleared: mfaCleared,
  }, caller);
  if (mfaCleared) {
    await audit(d, "account.mfa_disable", username, { by_admin: true }, caller);
  }
}

export async function deleteAccount(
  d: AccountsDeps,
  caller: Caller,
  username: string,
): Promise<void> {
  await updateAccounts(d.nats, (doc) => removeAccount(doc, username));
  await audit(d, "account.delete", username, {}, caller);
}
