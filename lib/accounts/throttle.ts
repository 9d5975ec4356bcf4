/**
 * Sign-in throttling state in KV `kanade_auth_throttle`, so every API process sees the
 * same counters (upstream kept them in one process's memory). Keys are SHA-256 digests
 * of the username / client address: nothing readable about who tried. Values carry their
 * own timestamps; the bucket's max age only sweeps old entries. Every update is a
 * compare-and-swap, so concurrent failures all count.
 */
import { Buffer } from "node:buffer";
import { BUCKET, throttleKeys } from "../../wire/names.ts";
import type { Nats } from "../nats.ts";
import { casUpdate, type Codec, DELETE, type KV, openKv, readKey } from "../kv.ts";
import { tooManyRequests } from "../errors.ts";
import {
  afterClientFailure,
  afterUserFailure,
  type ClientFailures,
  clientRetryAfter,
  type UserFailures,
  userRetryAfter,
} from "./throttle_policy.ts";

function jsonCodec<T>(): Codec<T | null> {
  return {
    decode: (b) => JSON.parse(new TextDecoder().decode(b)) as T,
    encode: (v) => JSON.stringify(v),
    empty: () => null,
  };
}
const userCodec = jsonCodec<UserFailures>();
const clientCodec = jsonCodec<ClientFailures>();
const stepCodec = jsonCodec<{ step: number }>();

async function digest(s: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
  return Buffer.from(d).toString("hex");
}

function kv(nats: Nats): Promise<KV> {
  return openKv(nats, BUCKET.authThrottle);
}

/** 429 with Retry-After when the username is locked or the address is over its limit. */
export async function assertNotThrottled(
  nats: Nats,
  who: { username: string; client?: string },
  now: number,
): Promise<void> {
  const b = await kv(nats);
  const user = await readKey(b, throttleKeys.user(await digest(who.username)), userCodec)
    .catch(() => null);
  const wait = userRetryAfter(user?.value ?? null, now);
  if (wait !== null) {
    throw tooManyRequests("too many failed sign-ins for this account; try again later", wait);
  }
  if (who.client === undefined) return;
  const client = await readKey(b, throttleKeys.client(await digest(who.client)), clientCodec)
    .catch(() => null);
  const cwait = clientRetryAfter(client?.value ?? null, now);
  if (cwait !== null) {
    throw tooManyRequests("too many failed sign-ins from this address; try again later", cwait);
  }
}

/** Count one failure against the username (and the client address when given). */
export async function recordFailure(
  nats: Nats,
  who: { username: string; client?: string },
  now: number,
  lockMs: number,
): Promise<void> {
  const b = await kv(nats);
  await casUpdate(
    b,
    throttleKeys.user(await digest(who.username)),
    userCodec,
    (cur) => afterUserFailure(cur, now, lockMs),
    { onCorrupt: "empty" },
  );
  if (who.client === undefined) return;
  await casUpdate(
    b,
    throttleKeys.client(await digest(who.client)),
    clientCodec,
    (cur) => afterClientFailure(cur, now),
    { onCorrupt: "empty" },
  );
}

/** A success clears the username's consecutive failures (not the address's window). */
export async function clearFailures(nats: Nats, username: string): Promise<void> {
  await casUpdate(
    await kv(nats),
    throttleKeys.user(await digest(username)),
    userCodec,
    () => DELETE,
    { onCorrupt: "empty" },
  );
}

/**
 * Mark a TOTP time step as used by this account: true when it is newer than every step
 * used before (the code is accepted), false for a replay or an older step. One CAS, so
 * two sign-ins racing with the same code cannot both pass.
 */
export async function consumeTotpStep(nats: Nats, username: string, step: number) {
  let fresh = false;
  await casUpdate(
    await kv(nats),
    throttleKeys.totp(await digest(username)),
    stepCodec,
    (cur) => {
      fresh = cur === null || step > cur.step;
      return fresh ? { step } : cur;
    },
    { onCorrupt: "empty" },
  );
  return fresh;
}
