/**
 * Who is calling. Modes in upstream precedence: auth disabled (dev) → static token
 * (admin) → HS256 JWT (`aud = "kanade"`, `exp` required, roles from the `roles` claim).
 * Unlike upstream there is no fallback secret: `assertAuthConfigured` refuses to start.
 * Unlike upstream core (but like its later RBAC), a static token and a JWT secret may
 * coexist: the static token is then a service identity and people carry role JWTs.
 * Account sessions (sign-in tokens, `sv` claim) are only recognised here; the account
 * row that decides their role is checked by `lib/accounts/caller.ts`.
 */
import { timingSafeEqual } from "node:crypto";
import {
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type ProtectedHeaderParameters,
  SignJWT,
} from "jose";
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
  /**
   * How the caller proved who it is: `disabled` (KANADE_AUTH_DISABLE), `service` (the
   * static token, or a JWT without `sv`: roles from the token), `account` (a sign-in
   * session: a JWT with `sv`, whose account row decides the role on every request).
   */
  kind?: CallerKind;
  /** Account sessions: the token's session generation (`sv` claim). */
  session?: number;
  /** Account sessions: the row says the password must be changed first. */
  mustChangePw?: boolean;
}

export type CallerKind = "disabled" | "service" | "account";

/** Subjects upstream reports for callers that are not accounts. */
export const AUTH_DISABLED_SUB = "auth-disabled";
export const SERVICE_TOKEN_SUB = "service-token";
/** The claim that marks an account session token (its session generation). */
export const SESSION_CLAIM = "sv";

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

const keyCache = new Map<string, Uint8Array>();
function hmacKey(secret: string): Uint8Array {
  let k = keyCache.get(secret);
  if (!k) {
    k = te.encode(secret);
    keyCache.set(secret, k);
  }
  return k;
}

export interface JwtClaims {
  sub?: string;
  exp?: number;
  nbf?: number;
  iat?: number;
  aud?: string | string[];
  roles?: string[];
  [k: string]: unknown;
}

/** Clock leeway in seconds, the jsonwebtoken default upstream relies on. */
export const JWT_LEEWAY_SECS = 60;

/** jose's refusal → our one-line reason (the texts clients and tests already know). */
function joseReason(e: unknown): string {
  if (e instanceof joseErrors.JWTExpired) return "expired";
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === "exp") return "missing exp";
    if (e.claim === "nbf") return "not yet valid";
    if (e.claim === "aud") return "audience must be kanade";
    return "malformed claims";
  }
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return "bad signature";
  if (e instanceof joseErrors.JWTInvalid) return "malformed claims";
  if (e instanceof joseErrors.JWSInvalid) {
    return /signature/i.test(e.message) ? "malformed signature" : "malformed claims";
  }
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return "unsupported algorithm";
  return "malformed";
}

/**
 * Verify an HS256 JWT with `jose`; throws an UnauthenticatedError with the reason. The header is
 * read first only to refuse early what jose would refuse anyway, with our texts: `alg`
 * must be HS256 (no `none`, no algorithm confusion) and no `crit` extensions (RFC 7515
 * §4.1.11). jose checks the signature before any claim is believed.
 */
export async function verifyJwt(
  token: string,
  secret: string,
  nowSecs = Date.now() / 1000,
): Promise<JwtClaims> {
  if (token.length > MAX_TOKEN_LENGTH) throw unauthenticated("invalid token: too long");
  if (token.split(".").length !== 3) throw unauthenticated("invalid token: malformed");
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw unauthenticated("invalid token: malformed header");
  }
  if (header.alg !== "HS256") throw unauthenticated("invalid token: unsupported algorithm");
  if (header.crit !== undefined) {
    throw unauthenticated("invalid token: unsupported critical header");
  }
  try {
    const { payload } = await jwtVerify(token, hmacKey(secret), {
      algorithms: ["HS256"],
      audience: "kanade",
      requiredClaims: ["exp"],
      clockTolerance: JWT_LEEWAY_SECS,
      currentDate: new Date(nowSecs * 1000),
    });
    return payload as JwtClaims;
  } catch (e) {
    throw unauthenticated(`invalid token: ${joseReason(e)}`);
  }
}

export async function mintJwt(
  secret: string,
  opts: {
    sub: string;
    roles: string[];
    ttlSecs: number;
    nowSecs?: number;
    aud?: string;
    /** Further claims (an account session's `sv`). */
    extra?: Record<string, unknown>;
  },
): Promise<string> {
  const now = Math.floor(opts.nowSecs ?? Date.now() / 1000);
  return await new SignJWT({ ...opts.extra, roles: opts.roles })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(opts.sub)
    .setAudience(opts.aud ?? "kanade")
    .setIssuedAt(now)
    .setExpirationTime(now + opts.ttlSecs)
    .sign(hmacKey(secret));
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
  if (cfg.authDisable) {
    return { sub: AUTH_DISABLED_SUB, roles: ["admin"], source: src, kind: "disabled" };
  }
  const raw = (authorization ?? "").trim();
  // Upstream matches the scheme case-sensitively; so do we (clients all send "Bearer ").
  if (!raw.startsWith("Bearer ")) throw unauthenticated("missing bearer token");
  const token = raw.slice("Bearer ".length).trim();
  if (!token) throw unauthenticated("missing bearer token");
  if (token.length > MAX_TOKEN_LENGTH) throw unauthenticated("invalid token: too long");
  if (cfg.staticToken) {
    if (await constantTimeEqual(token, cfg.staticToken)) {
      return { sub: SERVICE_TOKEN_SUB, roles: ["admin"], source: src, kind: "service" };
    }
    if (!cfg.jwtSecret) throw unauthenticated("invalid static token");
  }
  if (!cfg.jwtSecret) throw unauthenticated("no auth configured");
  const claims = await verifyJwt(token, cfg.jwtSecret);
  const roles = Array.isArray(claims.roles) ? [...new Set(claims.roles.filter(isRole))] : [];
  const sub = typeof claims.sub === "string" ? claims.sub.slice(0, 256) : null;
  const sv = claims[SESSION_CLAIM];
  if (sv === undefined) return { sub, roles, source: src, kind: "service" };
  if (typeof sv !== "number" || !Number.isSafeInteger(sv) || sub === null) {
    throw unauthenticated("invalid token: malformed claims");
  }
  return { sub, roles, source: src, kind: "account", session: sv };
}
