/** What the account operations need: the broker (KV, audit), the configuration, a clock. */
import type { Config } from "../config.ts";
import type { Nats } from "../nats.ts";
import type { Caller } from "../auth.ts";
import { badRequest } from "../errors.ts";

export interface AccountsDeps {
  nats: Nats;
  config: Config;
  /** Epoch ms (tests move time for the throttle and TOTP). */
  now?: () => number;
}

export const clock = (d: AccountsDeps): number => (d.now ?? Date.now)();

/** The account behind a self-service call; service tokens and auth-off have none. */
export function ownAccount(caller: Caller): string {
  if (caller.kind !== "account" || !caller.sub) {
    throw badRequest(
      "this caller has no account (a service token or auth disabled): sign in with a username",
    );
  }
  return caller.sub;
}
