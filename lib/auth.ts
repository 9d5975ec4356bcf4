/**
 * Who is calling. Modes in upstream precedence: auth disabled (dev) → static token
 * (admin) → HS256 JWT (`aud = "kanade"`, `exp` required, roles from the `roles` claim).
 * Unlike upstream there is no fallback secret: `assertAuthConfigured` refuses to start.
 */
import { timingSafeEqual } from "node:crypto";
import type { Config } from "./config.ts";
import { ConfigError, forbidden, unauthorized } from "./errors.ts";

export type Role = "viewer" | "operator" | "admin";
export const ROLE_RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export interface Caller {
  sub: string | null;
  roles: Role[];
  /** `X-Kanade-Source` header (`spa`, `cli`, ...), folded into audit payloads. */
  source: string | null;
}

export function highestRole(roles: readonly string[]): Role | null {
  let best: Role | null = null;
  for (const r of roles) {
    if (r in ROLE_RANK && (!best || ROLE_RANK[r as Role] > ROLE_RANK[best])) best = r as Role;
  }
  return best;
}

export function requireRole(caller: Caller, need: Role | "public"): void {
  if (need === "public") return;
  const have = highestRole(caller.roles);
  if (!have || ROLE_RANK[have] < ROLE_RANK[need]) {
    throw forbidden(`forbidden: this route needs the '${need}' role`);
  }
}

export function assertAuthConfigured(
  cfg: Pick<Config, "authDisable" | "staticToken" | "jwtSecret">,
) {
  if (!cfg.authDisable && !cfg.staticToken && !cfg.jwtSecret) {
    throw new ConfigError(
      "config: no API auth configured: set KANADE_AUTH_STATIC_TOKEN or KANADE_JWT_SECRET (or KANADE_AUTH_DISABLE=1 for local development)",
    );
  }
}

const te = new TextEncoder();

function b64urlDecode(s: string): Uint8Array {
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
  aud?: string | string[];
  roles?: string[];
  [k: string]: unknown;
}

/** Verify an HS256 JWT; throws 401 ApiError with the reason. Leeway 60 s like jsonwebtoken. */
export async function verifyJwt(
  token: string,
  secret: string,
  nowSecs = Date.now() / 1000,
): Promise<JwtClaims> {
  const parts = token.split(".");
  if (parts.length !== 3) throw unauthorized("invalid token: malformed");
  let header: { alg?: string };
  let claims: JwtClaims;
  try {
    header = JSON.parse(new TextDecoder().decode(b64urlDecode(parts[0])));
    claims = JSON.parse(new TextDecoder().decode(b64urlDecode(parts[1])));
  } catch {
    throw unauthorized("invalid token: malformed");
  }
  if (header.alg !== "HS256") throw unauthorized("invalid token: unsupported algorithm");
  let sig: Uint8Array;
  try {
    sig = b64urlDecode(parts[2]);
  } catch {
    throw unauthorized("invalid token: malformed signature");
  }
  const ok = await crypto.subtle.verify(
    "HMAC",
    await hmacKey(secret),
    sig as BufferSource,
    te.encode(`${parts[0]}.${parts[1]}`),
  );
  if (!ok) throw unauthorized("invalid token: bad signature");
  if (typeof claims !== "object" || claims === null) throw unauthorized("invalid token: claims");
  if (typeof claims.exp !== "number") throw unauthorized("invalid token: missing exp");
  if (claims.exp + 60 < nowSecs) throw unauthorized("invalid token: expired");
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes("kanade")) throw unauthorized("invalid token: audience must be kanade");
  return claims;
}

export async function mintJwt(
  secret: string,
  opts: { sub: string; roles: string[]; ttlSecs: number; nowSecs?: number },
): Promise<string> {
  const now = Math.floor(opts.nowSecs ?? Date.now() / 1000);
  const header = b64urlEncode(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const payload = b64urlEncode(
    JSON.stringify({
      sub: opts.sub,
      aud: "kanade",
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

function constantTimeEqual(a: string, b: string): boolean {
  const ab = te.encode(a);
  const bb = te.encode(b);
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab); // keep the timing shape
    return false;
  }
  return timingSafeEqual(ab, bb);
}

/** Resolve the caller of one request (headers only), or throw 401. */
export async function authenticate(
  cfg: Pick<Config, "authDisable" | "staticToken" | "jwtSecret">,
  authorization: string | undefined | null,
  source: string | undefined | null,
): Promise<Caller> {
  const src = source?.slice(0, 64) ?? null;
  if (cfg.authDisable) return { sub: null, roles: ["admin"], source: src };
  const raw = (authorization ?? "").trim();
  if (!raw.startsWith("Bearer ")) throw unauthorized("missing bearer token");
  const token = raw.slice("Bearer ".length).trim();
  if (!token) throw unauthorized("missing bearer token");
  if (cfg.staticToken) {
    if (!constantTimeEqual(token, cfg.staticToken)) throw unauthorized("invalid static token");
    return { sub: "static-token", roles: ["admin"], source: src };
  }
  if (!cfg.jwtSecret) throw unauthorized("no auth configured");
  const claims = await verifyJwt(token, cfg.jwtSecret);
  const roles = Array.isArray(claims.roles)
    ? claims.roles.filter((r): r is Role => typeof r === "string" && r in ROLE_RANK)
    : [];
  return { sub: typeof claims.sub === "string" ? claims.sub : null, roles, source: src };
}
