/**
 * Mint an HS256 JWT for the API with the configured secret:
 *   deno task token --sub alice --roles operator --ttl 8h
 * The secret comes from KANADE_JWT_SECRET (or `--secret-env NAME`); the token goes to
 * stdout alone so it can be piped, the claims summary to stderr.
 */
import { mintJwt, ROLES } from "../lib/auth.ts";
import { durationError, parseDurationSecs } from "../wire/duration.ts";

export interface TokenArgs {
  sub: string;
  roles: string[];
  ttlSecs: number;
  secretEnv: string;
}

export class UsageError extends Error {}

const USAGE =
  "usage: deno task token --sub <name> --roles <viewer|operator|admin>[,...] [--ttl 8h] [--secret-env KANADE_JWT_SECRET]";

/** Pure argument parsing, unit-tested; throws UsageError with one clear line. */
export function parseTokenArgs(argv: string[]): TokenArgs {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") throw new UsageError(USAGE);
    if (!a.startsWith("--")) throw new UsageError(`unexpected argument '${a}'\n${USAGE}`);
    const eq = a.indexOf("=");
    const key = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const val = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (!["sub", "roles", "ttl", "secret-env"].includes(key)) {
      throw new UsageError(`unknown option --${key}\n${USAGE}`);
    }
    if (val === undefined || val.startsWith("--")) {
      throw new UsageError(`--${key} needs a value\n${USAGE}`);
    }
    out[key] = val;
  }
  const sub = out.sub?.trim();
  if (!sub) throw new UsageError(`--sub is required\n${USAGE}`);
  const roles = (out.roles ?? "").split(",").map((r) => r.trim()).filter(Boolean);
  if (roles.length === 0) throw new UsageError(`--roles is required\n${USAGE}`);
  for (const r of roles) {
    if (!(ROLES as readonly string[]).includes(r)) {
      throw new UsageError(`unknown role '${r}' (expected ${ROLES.join(", ")})`);
    }
  }
  const ttl = out.ttl ?? "8h";
  const err = durationError(ttl);
  if (err) throw new UsageError(`--ttl: ${err}`);
  const ttlSecs = Math.floor(parseDurationSecs(ttl));
  if (!(ttlSecs > 0)) throw new UsageError("--ttl must be at least 1s");
  return {
    sub,
    roles: [...new Set(roles)],
    ttlSecs,
    secretEnv: out["secret-env"] ?? "KANADE_JWT_SECRET",
  };
}

export async function main(
  argv: string[],
  env: (k: string) => string | undefined,
): Promise<number> {
  let args: TokenArgs;
  try {
    args = parseTokenArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(e.message);
      return 2;
    }
    throw e;
  }
  const secret = env(args.secretEnv)?.trim();
  if (!secret) {
    console.error(
      `${args.secretEnv} is not set: the token must be signed with the backend's secret`,
    );
    return 2;
  }
  const token = await mintJwt(secret, { sub: args.sub, roles: args.roles, ttlSecs: args.ttlSecs });
  const exp = new Date((Math.floor(Date.now() / 1000) + args.ttlSecs) * 1000).toISOString();
  console.error(`token for sub=${args.sub} roles=${args.roles.join(",")} expires ${exp}`);
  console.log(token);
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args, (k) => Deno.env.get(k)));
}
