/**
 * Start-up of the accounts side of the API: seed the bootstrap admin when no account
 * exists (upstream: `KANADE_BOOTSTRAP_ADMIN_USER`, default "admin", with
 * `KANADE_BOOTSTRAP_ADMIN_PASSWORD` and must_change_pw; without a password only a loud
 * warning), and refuse to start when accounts have MFA that the configured key cannot
 * open. Creating the first entry is a KV create, so two API processes starting together
 * seed one admin.
 */
import { ConfigError } from "../errors.ts";
import { log } from "../log.ts";
import { nowWire } from "../../wire/time.ts";
import type { AccountsDeps } from "./context.ts";
import { readAccounts, updateAccounts } from "./store.ts";
import { hashPassword } from "./passwords.ts";
import { open } from "./secret_box.ts";

export interface AccountsStart {
  accounts: number;
  /** The bootstrap admin created by this call, if any. */
  bootstrapped: string | null;
}

export async function prepareAccounts(d: AccountsDeps): Promise<AccountsStart> {
  const cfg = d.config;
  let doc = await readAccounts(d.nats);
  let bootstrapped: string | null = null;
  if (doc.accounts.length === 0 && cfg.bootstrapAdminPassword) {
    const hash = await hashPassword(cfg.bootstrapAdminPassword);
    const now = nowWire();
    const username = cfg.bootstrapAdminUser;
    doc = await updateAccounts(d.nats, (cur) => {
      if (cur.accounts.length > 0) return cur; // another process seeded first
      bootstrapped = username;
      return {
        accounts: [{
          username,
          role: "admin",
          disabled: false,
          must_change_pw: true,
          password_hash: hash,
          totp: null,
          session: 0,
          created_at: now,
          updated_at: now,
        }],
      };
    });
    if (bootstrapped) {
      log.info("bootstrap admin created; it must change its password at first sign-in", {
        username,
      });
    }
  } else if (doc.accounts.length === 0 && !cfg.authDisable) {
    log.warn(
      "no account exists and KANADE_BOOTSTRAP_ADMIN_PASSWORD is unset: nobody can sign in with a password; set it (and KANADE_JWT_SECRET) to create the first admin, or use the static token",
    );
  }
  const withMfa = doc.accounts.filter((a) => a.totp);
  if (withMfa.length > 0) {
    if (!cfg.mfaKey) {
      throw new ConfigError(
        `config: KANADE_MFA_KEY: ${withMfa.length} account(s) have MFA enabled and their secrets are sealed with a key; set KANADE_MFA_KEY to that key`,
      );
    }
    try {
      await open(cfg.mfaKey, withMfa[0].totp!, withMfa[0].username);
    } catch {
      throw new ConfigError(
        "config: KANADE_MFA_KEY: does not open the stored MFA secrets (not the key they were sealed with)",
      );
    }
  }
  if (doc.accounts.length > 0 && !cfg.jwtSecret && !cfg.authDisable) {
    log.warn("accounts exist but KANADE_JWT_SECRET is unset: password sign-in is off");
  }
  return { accounts: doc.accounts.length, bootstrapped };
}
