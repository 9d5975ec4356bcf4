/**
 * Account test set-up: a backend environment with password sign-in (JWT secret, MFA key,
 * bootstrap admin), sign-in and authenticated calls with a session token.
 */
import type { TestBackend } from "./backend.ts";

export const JWT_SECRET = "accounts-test-secret-0123456789abcdef";
/** 32 fixed bytes in base64: tests only. */
export const MFA_KEY = btoa(String.fromCharCode(...new Uint8Array(32).map((_, i) => i * 7)));
export const BOOT_USER = "admin";
export const BOOT_PASSWORD = "first-password-1";

export function accountsEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    KANADE_JWT_SECRET: JWT_SECRET,
    KANADE_MFA_KEY: MFA_KEY,
    KANADE_BOOTSTRAP_ADMIN_PASSWORD: BOOT_PASSWORD,
    ...extra,
  };
}

export interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: string };
  headers: Headers;
}

/** A JSON call with a bearer token (or none with `null`). */
export async function call(
  be: Pick<TestBackend, "request">,
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer> {
  const headers: Record<string, string> = { authorization: token ? `Bearer ${token}` : "" };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await be.request(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {}, headers: res.headers };
}

export async function login(
  be: Pick<TestBackend, "request">,
  username: string,
  password: string,
  code?: string,
): Promise<Answer> {
  return await call(be, null, "POST", "/api/auth/login", {
    username,
    password,
    ...(code === undefined ? {} : { code }),
  });
}

/** Sign in or fail the test; returns the session token. */
export async function tokenFor(
  be: Pick<TestBackend, "request">,
  username: string,
  password: string,
  code?: string,
): Promise<string> {
  const r = await login(be, username, password, code);
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token as string;
}

/**
 * The bootstrap admin, its first password changed (it must be before anything else),
 * and a fresh session token.
 */
export async function adminSession(
  be: TestBackend,
  password = "admin-password-2",
): Promise<string> {
  const first = await tokenFor(be, BOOT_USER, BOOT_PASSWORD);
  const r = await call(be, first, "POST", "/api/auth/change-password", {
    old_password: BOOT_PASSWORD,
    new_password: password,
  });
  if (r.status !== 204) throw new Error(`change-password: ${r.status} ${JSON.stringify(r.body)}`);
  return r.headers.get("x-kanade-token")!;
}

/** Create an account as the static-token admin. */
export async function createAccount(
  be: TestBackend,
  username: string,
  password: string,
  role: string,
): Promise<void> {
  const r = await call(be, be.token, "POST", "/api/accounts", { username, password, role });
  if (r.status !== 201) {
    throw new Error(`create ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  }
}
