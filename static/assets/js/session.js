// @ts-check
/// <reference lib="dom" />
/**
 * Who is signed in, as the backend says (`GET /api/auth/me`), not as a token's claims: an
 * account's role can change (or the account be disabled) after its token was issued.
 * The shell refreshes it on every navigation; pages read `role()` for their hints. With
 * `KANADE_AUTH_DISABLE` the backend needs no token: `/api/version` says so and the
 * dashboard opens without signing in.
 */
import * as api from "./api.js";

/** @type {{username: string, role: string, must_change_pw: boolean, mfa: boolean,
 *   account: boolean} | null} */
let me = null;
/** @type {{auth_disabled?: boolean, password_sign_in?: boolean} | null} */
let server = null;

/** The backend's public facts (version, auth mode), fetched once per page load. */
export async function serverInfo() {
  server ??= await api.version().catch(() => ({}));
  return server;
}

export async function authDisabled() {
  return Boolean((await serverInfo())?.auth_disabled);
}

/**
 * Refresh the identity; a 401 is thrown to the caller (the shell signs out).
 * @param {AbortSignal} [signal]
 */
export async function refresh(signal) {
  me = await api.me(signal);
  return me;
}

export const current = () => me;

export function clear() {
  me = null;
}

/** The effective role; before `/me` answered, the token's claim (static tokens: admin). */
export function role() {
  if (me) return me.role;
  const info = api.tokenInfo(api.getToken());
  if (info.kind === "jwt") return info.roles.includes("admin") ? "admin" : info.roles[0] ?? "";
  return info.kind === "static" ? "admin" : "";
}

/** @type {Record<string, number>} */
const RANK = { viewer: 1, operator: 2, admin: 3 };

/** @param {"viewer"|"operator"|"admin"} need */
export function hasRole(need) {
  return (RANK[role()] ?? 0) >= RANK[need];
}
