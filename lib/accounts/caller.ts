/**
 * Who is calling, with the account row authoritative on every request (upstream): a
 * sign-in token whose account was deleted, disabled or demoted loses its rights at once,
 * and one issued before a password change or an admin reset (older session generation)
 * no longer works. Service tokens and the static token are not accounts and pass as
 * `lib/auth.ts` resolved them.
 */
import { authenticate, type Caller, unauthenticated } from "../auth.ts";
import type { AccountsDeps } from "./context.ts";
import { findAccount } from "./model.ts";
import { readAccounts } from "./store.ts";

export async function resolveCaller(
  d: AccountsDeps,
  authorization: string | undefined | null,
  source: string | undefined | null,
): Promise<Caller> {
  const who = await authenticate(d.config, authorization, source);
  if (who.kind !== "account") return who;
  const a = findAccount(await readAccounts(d.nats), who.sub!);
  if (!a) throw unauthenticated("unknown account");
  if (a.disabled) throw unauthenticated("account disabled");
  if (who.session !== a.session) {
    throw unauthenticated("session ended by a password change: sign in again");
  }
  return { ...who, roles: [a.role], mustChangePw: a.must_change_pw };
}
