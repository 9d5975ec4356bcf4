/** What `deno task dev` prints about signing in to the dashboard (pure, unit-tested). */
import type { Config } from "../config.ts";
import type { AccountsStart } from "./bootstrap.ts";

export function signInHelp(
  cfg: Pick<Config, "authDisable" | "staticToken" | "jwtSecret" | "bootstrapAdminUser" | "bind">,
  accounts: AccountsStart,
  port: number,
): string[] {
  const host = cfg.bind.slice(0, cfg.bind.lastIndexOf(":")) || "127.0.0.1";
  const url = `http://${host}:${port}`;
  if (cfg.authDisable) {
    return [
      `dashboard: ${url}/ (auth disabled for development: no sign-in)`,
      "to try accounts instead: KANADE_JWT_SECRET=<32+ random chars> KANADE_BOOTSTRAP_ADMIN_PASSWORD=<8+ chars> deno task dev",
    ];
  }
  const out = [`dashboard: ${url}/login`];
  if (accounts.accounts > 0 && cfg.jwtSecret) {
    out.push(
      accounts.bootstrapped
        ? `sign in as '${accounts.bootstrapped}' with KANADE_BOOTSTRAP_ADMIN_PASSWORD; you will be asked to change it`
        : `sign in with your account (the first admin was '${cfg.bootstrapAdminUser}')`,
    );
  } else if (!cfg.jwtSecret) {
    out.push("password sign-in is off: set KANADE_JWT_SECRET");
  } else {
    out.push("no account exists: set KANADE_BOOTSTRAP_ADMIN_PASSWORD to create the first admin");
  }
  if (cfg.staticToken) {
    out.push("automation: 'Service token' on the sign-in page takes KANADE_AUTH_STATIC_TOKEN");
  }
  return out;
}
