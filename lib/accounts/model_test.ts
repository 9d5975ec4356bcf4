import assert from "node:assert/strict";
import { DomainError } from "../errors.ts";
import {
  type Account,
  type AccountsDoc,
  addAccount,
  checkPassword,
  checkRole,
  checkUsername,
  countEnabledAdmins,
  patchAccount,
  removeAccount,
  toRow,
} from "./model.ts";

const T = "2026-12-01T00:00:00Z";
const acct = (username: string, role: Account["role"], disabled = false): Account => ({
  username,
  role,
  disabled,
  must_change_pw: false,
  password_hash: "$argon2id$x",
  totp: null,
  session: 0,
  created_at: T,
  updated_at: T,
});
const doc = (...a: Account[]): AccountsDoc => ({ accounts: a });

const STATUS: Record<string, number> = {
  ValidationError: 400,
  NotFoundError: 404,
  ConflictError: 409,
};

/** [the status the router maps the condition to, the message]. */
function refusal(fn: () => unknown): [number, string] {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return [STATUS[e.name] ?? 500, e.message];
    throw e;
  }
  throw new Error("not refused");
}

Deno.test("checkUsername/checkPassword/checkRole: upstream texts, code points", () => {
  assert.equal(checkUsername("  al "), "al");
  assert.deepEqual(refusal(() => checkUsername(" ")), [400, "username required"]);
  assert.equal(refusal(() => checkUsername("a\u0007b"))[0], 400);
  assert.equal(checkUsername("x".repeat(64)).length, 64);
  assert.equal(refusal(() => checkUsername("x".repeat(65)))[0], 400);
  assert.equal(checkPassword("日本語日本語日本", "password"), "日本語日本語日本");
  assert.deepEqual(refusal(() => checkPassword("🙂🙂🙂🙂🙂🙂🙂", "password")), [
    400,
    "password too short (min 8 chars)",
  ]);
  assert.deepEqual(refusal(() => checkPassword("short", "new password")), [
    400,
    "new password too short (min 8 chars)",
  ]);
  assert.equal(refusal(() => checkPassword("x".repeat(1025), "password"))[0], 400);
  assert.equal(checkRole("operator"), "operator");
  for (const bad of ["root", "Admin", "", "constructor", "__proto__"]) {
    assert.deepEqual(refusal(() => checkRole(bad)), [400, "role must be viewer/operator/admin"]);
  }
});

Deno.test("patchAccount(): last-enabled-admin guards, reset semantics, 404", () => {
  const one = doc(acct("a", "admin"), acct("b", "operator"), acct("c", "admin", true));
  assert.equal(countEnabledAdmins(one), 1);
  assert.deepEqual(refusal(() => patchAccount(one, "a", { role: "viewer" }, T)), [
    409,
    "cannot demote the last enabled admin",
  ]);
  assert.deepEqual(refusal(() => patchAccount(one, "a", { disabled: true }, T)), [
    409,
    "cannot disable the last enabled admin",
  ]);
  assert.deepEqual(refusal(() => removeAccount(one, "a")), [
    409,
    "cannot delete the last enabled admin",
  ]);
  assert.deepEqual(refusal(() => patchAccount(one, "zz", {}, T)), [404, "no such account"]);
  assert.deepEqual(refusal(() => removeAccount(one, "zz")), [404, "no such account"]);
  // A disabled admin may go; enabling the other first lets "a" go too.
  assert.equal(removeAccount(one, "c").accounts.length, 2);
  const two = patchAccount(one, "c", { disabled: false }, T).doc;
  assert.equal(countEnabledAdmins(two), 2);
  assert.equal(patchAccount(two, "a", { role: "viewer" }, T).account.role, "viewer");
  // Promoting and demoting in one edit of a non-admin never trips the guard.
  assert.equal(patchAccount(one, "b", { role: "admin" }, T).account.role, "admin");
  // A password reset: must change it, earlier sessions end.
  const reset = patchAccount(one, "b", { passwordHash: "$argon2id$new" }, "2027-01-01T00:00:00Z");
  assert.deepEqual(
    [reset.account.must_change_pw, reset.account.session, reset.account.updated_at],
    [true, 1, "2027-01-01T00:00:00Z"],
  );
  const mfa = { ...acct("m", "viewer"), totp: "v1.x.y" };
  assert.equal(patchAccount(doc(mfa), "m", { clearMfa: true }, T).account.totp, null);
});

Deno.test("addAccount(): 409 on a duplicate, sorted, __proto__ is just a name", () => {
  const d = addAccount(
    addAccount(doc(acct("m", "viewer")), acct("__proto__", "viewer")),
    acct("a", "admin"),
  );
  assert.deepEqual(d.accounts.map((a) => a.username), ["__proto__", "a", "m"]);
  assert.deepEqual(refusal(() => addAccount(d, acct("a", "viewer"))), [
    409,
    "username already exists",
  ]);
  assert.equal(({} as Record<string, unknown>).role, undefined);
  const row = toRow({ ...acct("x", "viewer", true), totp: "v1.a.b" });
  assert.deepEqual(row, {
    username: "x",
    role: "viewer",
    disabled: 1,
    must_change_pw: 0,
    mfa: 1,
    created_at: T,
    updated_at: T,
  });
  assert.ok(!JSON.stringify(row).includes("argon2"));
});
