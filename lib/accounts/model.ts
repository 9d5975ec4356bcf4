/**
 * The accounts document and its pure rules. Every account lives in ONE KV entry
 * (`kanade_accounts` / `accounts`), so each change — and each last-enabled-admin guard —
 * is decided on one revision and written with one compare-and-swap: two admins demoting
 * each other at once cannot both win. Texts and statuses are upstream's (later.md §1).
 */
import { z } from "zod";
import { type Role, ROLES } from "../auth.ts";
import { badRequest, conflict, notFound } from "../errors.ts";

export const AccountSchema = z.object({
  username: z.string().min(1),
  role: z.enum(["viewer", "operator", "admin"]),
  disabled: z.boolean(),
  must_change_pw: z.boolean(),
  /** argon2id PHC string; never leaves the server. */
  password_hash: z.string().min(1),
  /** The TOTP secret sealed with KANADE_MFA_KEY (`secret_box.ts`); null = MFA off. */
  totp: z.string().nullable(),
  /**
   * Session generation, the `sv` claim of its sign-in tokens: a password change or an
   * admin reset bumps it, so every token issued before stops working.
   */
  session: z.number().int().nonnegative(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Account = z.infer<typeof AccountSchema>;

/** An array, not a map keyed by username: `__proto__` is a valid username. */
export const AccountsDocSchema = z.object({ accounts: z.array(AccountSchema) });
export type AccountsDoc = z.infer<typeof AccountsDocSchema>;

const Flag = z.union([z.literal(0), z.literal(1)]);

/** What `GET /api/accounts` shows of an account (upstream's 0/1 flags; never a hash). */
export const AccountRowSchema = z.object({
  username: z.string(),
  role: z.enum(["viewer", "operator", "admin"]),
  disabled: Flag,
  must_change_pw: Flag,
  mfa: Flag,
  created_at: z.string(),
  updated_at: z.string(),
});
export type AccountRow = z.infer<typeof AccountRowSchema>;

export function toRow(a: Account): AccountRow {
  return {
    username: a.username,
    role: a.role,
    disabled: a.disabled ? 1 : 0,
    must_change_pw: a.must_change_pw ? 1 : 0,
    mfa: a.totp ? 1 : 0,
    created_at: a.created_at,
    updated_at: a.updated_at,
  };
}

export const MIN_PASSWORD_CHARS = 8;
/** Longer passwords only cost hashing time; nobody types more. */
export const MAX_PASSWORD_CHARS = 1024;
export const MAX_USERNAME_CHARS = 64;

const codePoints = (s: string) => [...s].length;

/** Upstream: the username is trimmed; empty → "username required". */
export function checkUsername(raw: string): string {
  const u = raw.trim();
  if (u === "") throw badRequest("username required");
  // deno-lint-ignore no-control-regex -- control characters are what is refused
  if (codePoints(u) > MAX_USERNAME_CHARS || /[\u0000-\u001f\u007f]/.test(u)) {
    throw badRequest(
      `username must be at most ${MAX_USERNAME_CHARS} characters without control characters`,
    );
  }
  return u;
}

/** `what` is "password" (admin) or "new password" (self-service), as upstream words it. */
export function checkPassword(pw: string, what: "password" | "new password"): string {
  if (codePoints(pw) < MIN_PASSWORD_CHARS) {
    throw badRequest(`${what} too short (min ${MIN_PASSWORD_CHARS} chars)`);
  }
  if (codePoints(pw) > MAX_PASSWORD_CHARS) {
    throw badRequest(`${what} too long (max ${MAX_PASSWORD_CHARS} chars)`);
  }
  return pw;
}

export function checkRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) {
    throw badRequest("role must be viewer/operator/admin");
  }
  return role as Role;
}

export function findAccount(doc: AccountsDoc, username: string): Account | undefined {
  return doc.accounts.find((a) => a.username === username);
}

const isEnabledAdmin = (a: Account) => a.role === "admin" && !a.disabled;

function sorted(accounts: Account[]): AccountsDoc {
  return { accounts: [...accounts].sort((a, b) => (a.username < b.username ? -1 : 1)) };
}

function replace(doc: AccountsDoc, next: Account): AccountsDoc {
  return sorted(doc.accounts.map((a) => (a.username === next.username ? next : a)));
}

export function addAccount(doc: AccountsDoc, account: Account): AccountsDoc {
  if (findAccount(doc, account.username)) throw conflict("username already exists");
  return sorted([...doc.accounts, account]);
}

/** A validated admin edit; `passwordHash` set = an admin password reset. */
export interface AccountPatch {
  role?: Role;
  disabled?: boolean;
  passwordHash?: string;
  clearMfa?: boolean;
}

/** Pure: the document after an admin edit, or the 404/409 upstream answers. */
export function patchAccount(
  doc: AccountsDoc,
  username: string,
  patch: AccountPatch,
  now: string,
): { doc: AccountsDoc; account: Account } {
  const cur = findAccount(doc, username);
  if (!cur) throw notFound("no such account");
  const next: Account = { ...cur, updated_at: now };
  if (patch.role !== undefined) next.role = patch.role;
  if (patch.disabled !== undefined) next.disabled = patch.disabled;
  if (patch.passwordHash !== undefined) {
    next.password_hash = patch.passwordHash;
    next.must_change_pw = true;
    next.session = cur.session + 1;
  }
  if (patch.clearMfa) next.totp = null;
  if (isEnabledAdmin(cur) && !isEnabledAdmin(next) && countEnabledAdmins(doc) === 1) {
    throw conflict(
      next.role !== "admin"
        ? "cannot demote the last enabled admin"
        : "cannot disable the last enabled admin",
    );
  }
  return { doc: replace(doc, next), account: next };
}

export function removeAccount(doc: AccountsDoc, username: string): AccountsDoc {
  const cur = findAccount(doc, username);
  if (!cur) throw notFound("no such account");
  if (isEnabledAdmin(cur) && countEnabledAdmins(doc) === 1) {
    throw conflict("cannot delete the last enabled admin");
  }
  return sorted(doc.accounts.filter((a) => a.username !== username));
}

export function countEnabledAdmins(doc: AccountsDoc): number {
  return doc.accounts.filter(isEnabledAdmin).length;
}

/** Pure: the account with a field changed by its owner (password, MFA). */
export function updateOwn(
  doc: AccountsDoc,
  username: string,
  change: (a: Account) => Account,
): { doc: AccountsDoc; account: Account } | null {
  const cur = findAccount(doc, username);
  if (!cur) return null;
  const next = change(cur);
  return { doc: replace(doc, next), account: next };
}
