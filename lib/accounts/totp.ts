/**
 * TOTP (RFC 6238: SHA1, 6 digits, 30 s steps, ±1 step of skew) from `otpauth`, issuer
 * "kanade", label = username, as upstream. Only the matching time step is returned: the
 * caller stores the last one used so a code is accepted once.
 */
import { Secret, TOTP } from "otpauth";

export const TOTP_PERIOD_SECS = 30;
const ISSUER = "kanade";

function totp(secretBase32: string, username = "") {
  return new TOTP({
    issuer: ISSUER,
    label: username,
    algorithm: "SHA1",
    digits: 6,
    period: TOTP_PERIOD_SECS,
    secret: Secret.fromBase32(secretBase32),
  });
}

/** A fresh 160-bit secret in base32 (what authenticator apps take). */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function otpauthUrl(secretBase32: string, username: string): string {
  return totp(secretBase32, username).toString();
}

/** Base32 of 16..128 characters (80..640 bits), as any authenticator accepts. */
export function isTotpSecret(s: string): boolean {
  return /^[A-Z2-7]{16,128}=*$/.test(s);
}

/** The time step a 6-digit code matches within ±1 step of `nowMs`, or null. */
export function matchTotpStep(secretBase32: string, code: string, nowMs: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totp(secretBase32).validate({ token: code, timestamp: nowMs, window: 1 });
  if (delta === null) return null;
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_SECS) + delta;
}

/** The code of one time step (tests and the dashboard's browser test compute codes). */
export function totpCode(secretBase32: string, nowMs: number): string {
  return totp(secretBase32).generate({ timestamp: nowMs });
}
