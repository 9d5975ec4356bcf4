/**
 * Who is calling. Modes in upstream precedence: auth disabled (dev) → static token
 * (admin) → HS256 JWT (`aud = "kanade"`, `exp` required, roles from the `roles` claim).
 * Unlike upstream there is no fallback secret: `assertAuthConfigured` refuses to start.
 * Unlike upstream core (but like its later RBAC), a static token and a JWT secret may
 * coexist: the static token is then a service identity and people carry role JWTs.
 */
import { timingSafeEqual } from "node:crypto";
import type { Config } from "./config.ts";
import { ConfigError, forbidden, unauthenticated } from "./errors.ts";

export { unauthenticated };
import { log } from "./log.ts";

export type Role = "viewer" | "operator" | "admin";
export const ROLES: readonly Role[] = ["viewer", "operator", "admin"];
export const ROLE_RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export interface Caller {
  sub: string | null;
  roles: Role[];
  /** `X-Kanade-Source` header (`spa`, `cli`, ...), folded into audit payloads. */
  source: string | null;
}

export type AuthConfig = Pick<Config, "authDisable" | "staticToken" | "jwtSecret">;

/** Tokens longer than this are refused before any crypto (no work amplification). */
export const MAX_TOKEN_LENGTH = 8192;

export function isRole(r: unknown): r is Role {
  return typeof r === "string" && Object.hasOwn(ROLE_RANK, r);
}

export function highestRole(roles: readonly string[]): Role | null {
  let best: Role | null = null;
  for (const r of roles) {
    if (isRole(r) && (!best || ROLE_RANK[r] > ROLE_RANK[best])) best = r;
  }
  return best;
}

export function hasRole(caller: Caller, need: Role | "public"): boolean {
  if (need === "public") return true;
  const have = highestRole(caller.roles);
  return have !== null && ROLE_RANK[have] >= ROLE_RANK[need];
}

export function requireRole(caller: Caller, need: Role | "public"): void {
  if (!hasRole(caller, need)) throw forbidden(`forbidden: this route needs the '${need}' role`);
}

export function assertAuthConfigured(cfg: AuthConfig) {
  if (!cfg.authDisable && !cfg.staticToken && !cfg.jwtSecret) {
    throw new ConfigError(
      "config: no API auth configured: set KANADE_AUTH_STATIC_TOKEN or KANADE_JWT_SECRET (or KANADE_AUTH_DISABLE=1 for local development)",
    );
  }
  for (const w of authWarnings(cfg)) log.warn(w);
}

/** Weak settings that still start (refusing would break existing deployments). */
export function authWarnings(cfg: AuthConfig): string[] {
  const out: string[] = [];
  if (cfg.authDisable) out.push("KANADE_AUTH_DISABLE is set: every API caller is admin");
  // RFC 7518 §3.2: an HS256 key must be at least 256 bits.
  if (cfg.jwtSecret && new TextEncoder().encode(cfg.jwtSecret).length < 32) {
    out.push("KANADE_JWT_SECRET is shorter than 32 bytes: tokens can be brute-forced offline");
  }
  if (cfg.staticToken && cfg.staticToken.length < 24) {
    out.push("KANADE_AUTH_STATIC_TOKEN is shorter than 24 characters: use a long random token");
  }
  return out;
}

const te = new TextEncoder();
const td = new TextDecoder("utf-8", { fatal: true });
const B64URL_RE = /^[A-Za-z0-9_-]*$/;

function b64urlDecode(s: string): Uint8Array {
  if (!B64URL_RE.test(s) || s.length % 4 === 1) throw new Error("not base64url");
  const pad = s.length % 4 === 2 ? "==" : s.length % 4 === 3 ? "=" : "";
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/") + pad);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function b64urlEncode(bytes: Uint8Array | string): string {
  const b = typeof bytes === "string" ? te.encode(bytes) : bytes;
  let bin = "";
  for (const x of b) bin += String.fromCharCode(x);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decodeJsonObject(part: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(td.decode(b64urlDecode(part)));
    return typeof v === "object" && v !== null && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

const keyCache = new Map<string, Promise<CryptoKey>>();
function hmacKey(secret: string): Promise<CryptoKey> {
  let k = keyCache.get(secret);
  if (!k) {
    k = crypto.subtle.importKey(
      "raw",
      te.encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      [
        "sign",
        "verify",
      ],
    );
    keyCache.set(secret, k);
  }
  return k;
}

export interface JwtClaims {
  sub?: string;
  exp?: number;
  nbf?: number;
  aud?: string | string[];
  roles?: string[];
  [k: string]: unknown;
}

/** Clock leeway in seconds, the jsonwebtoken default upstream relies on. */
export const JWT_LEEWAY_SECS = 60;

/**
 * Verify an HS256 JWT; throws an UnauthenticatedError with the reason. The signature is checked
 * before any claim is believed; `alg` must be HS256 (no `none`, no algorithm confusion).
 */
export async function verifyJwt(
  token: string,
  secret: string,
  nowSecs = Date.now() / 1000,
): Promise<JwtClaims> {
  if (token.length > MAX_TOKEN_LENGTH) throw unauthenticated("invalid token: too long");
  const parts = token.split(".");
  if (parts.length !== 3) throw unauthenticated("invalid token: malformed");
  const header = decodeJsonObject(parts[0]);
  if (!header) throw unauthenticated("invalid token: malformed header");
  if (header.alg !== "HS256") throw unauthenticated("invalid token: unsupported algorithm");
  // RFC 7515 §4.1.11: critical extensions we do not understand make the token invalid.
  if (header.crit !== undefined) {
    throw unauthenticated("invalid token: unsupported critical header");
  }
  let sig: Uint8Array;
  try {
    sig = b64urlDecode(parts[2]);
  } catch {
    throw unauthenticated("invalid token: malformed signature");
  }
  const ok = await crypto.subtle.verify(
    "HMAC",
    await hmacKey(secret),
    sig as BufferSource,
    te.encode(`${parts[0]}.${parts[1]}`),
  );
  if (!ok) throw unauthenticated("invalid token: bad signature");
  const claims = decodeJsonObject(parts[1]) as JwtClaims | null;
  if (!claims) throw unauthenticated("invalid token: malformed claims");
  if (typeof claims.exp !== "number" || !Number.isFinite(claims.exp)) {
    throw unauthenticated("invalid token: missing exp");
  }
  if (claims.exp + JWT_LEEWAY_SECS < nowSecs) throw unauthenticated("invalid token: expired");
  if (claims.nbf !== undefined) {
    if (typeof claims.nbf !== "number" || claims.nbf - JWT_LEEWAY_SECS > nowSecs) {
      throw unauthenticated("invalid token: not yet valid");
    }
  }
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes("kanade")) throw unauthenticated("invalid token: audience must be kanade");
  return claims;
}

export async function mintJwt(
  secret: string,
  opts: { sub: string; roles: string[]; ttlSecs: number; nowSecs?: number; aud?: string },
): Promise<string> {
  const now = Math.floor(opts.nowSecs ?? Date.now() / 1000);
  const header = b64urlEncode(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const payload = b64urlEncode(
    JSON.stringify({
      sub: opts.sub,
      aud: opts.aud ?? "kanade",
      iat: now,
      exp: now + opts.ttlSecs,
      roles: opts.roles,
    }),
  );
  const sig = new Uint8Array(
    await crypto.subtle.sign("HMAC", await hmacKey(secret), te.encode(`${header}.${payload}`)),
  );
  return `${header}.${payload}.${b64urlEncode(sig)}`;
}

/**
 * Constant-time string equality: both sides are hashed first, so neither the content nor
 * the length of the configured token leaks through timing.
 */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([
    crypto.subtle.digest("SHA-256", te.encode(a)),
    crypto.subtle.digest("SHA-256", te.encode(b)),
  ]);
  return timingSafeEqual(new Uint8Array(ha), new Uint8Array(hb)) && a.length === b.length;
}

/** `X-Kanade-Source` as stored in audit payloads: printable, at most 64 characters. */
export function cleanSource(source: string | undefined | null): string | null {
  if (source === undefined || source === null) return null;
  // deno-lint-ignore no-control-regex
  const s = source.replace(/[\u0000-\u001f\u007f]/g, "").trim().slice(0, 64);
  return s === "" ? null : s;
}

/** Resolve the caller of one request (headers only), or throw 401. */
export async function authenticate(
  cfg: AuthConfig,
  authorization: string | undefined | null,
  source: string | undefined | null,
): Promise<Caller> {
  const src = cleanSource(source);
  if (cfg.authDisable) return { sub: null, roles: ["admin"], source: src };
  const raw = (authorization ?? "").trim();
  // Upstream matches the scheme case-sensitively; so do we (clients all send "Bearer ").
  if (!raw.startsWith("Bearer ")) throw unauthenticated("missing bearer token");
  const token = raw.slice("Bearer ".length).trim();
  if (!token) throw unauthenticated("missing bearer token");
  if (token.length > MAX_TOKEN_LENGTH) throw unauthenticated("invalid token: too long");
  if (cfg.staticToken) {
    if (await constantTimeEqual(token, cfg.staticToken)) {
      return { sub: "static-token", roles: ["admin"], source: src };
    }
    if (!cfg.jwtSecret) throw unauthenticated("invalid static token");
  }
  if (!cfg.jwtSecret) throw unauthenticated("no auth configured");
  const claims = await verifyJwt(token, cfg.jwtSecret);
  const roles = Array.isArray(claims.roles) ? [...new Set(claims.roles.filter(isRole))] : [];
  const sub = typeof claims.sub === "string" ? claims.sub.slice(0, 256) : null;
  return { sub, roles, source: src };
}
