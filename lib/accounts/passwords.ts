/**
 * Password hashing: argon2id from `@node-rs/argon2` (a Rust binding) with upstream's
 * parameters (the argon2 crate defaults: v19, m = 19456 KiB, t = 2, p = 1, 16-byte
 * salt), PHC strings. Its async calls run on libuv's thread pool, so hashing never blocks
 * the request event loop (`deno task bench` measures latency and memory).
 */
import { hash, verify } from "@node-rs/argon2";

/** `Algorithm.Argon2id` (a const enum, which isolated modules cannot read). */
const ARGON2ID = 2;

const PARAMS = {
  algorithm: ARGON2ID,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

let dummy: Promise<string> | null = null;

/**
 * Verify a password against a PHC string. `null` (unknown user) verifies against a
 * throw-away hash with the same parameters, so an unknown name costs the same time as a
 * wrong password. A stored hash that does not parse counts as a mismatch.
 */
export async function verifyPassword(phc: string | null, password: string): Promise<boolean> {
  if (phc === null) {
    dummy ??= hashPassword(crypto.randomUUID());
    await verify(await dummy, password).catch(() => false);
    return false;
  }
  try {
    return await verify(phc, password);
  } catch {
    return false;
  }
}
