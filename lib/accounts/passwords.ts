/**
 * Password hashing: argon2id from `@node-rs/argon2` (a Rust binding) with upstream's
 * parameters (the argon2 crate defaults: v19, m = 19456 KiB, t = 2, p = 1, 16-byte
 * salt), PHC strings. Its async calls hash on a worker thread, not the JS thread; but 20
 * hashes at once on 2 cores would starve the event loop of CPU (measured: 2 s stalls), so
 * at most half the cores hash at a time and the rest queue (`deno task bench` measures
 * latency, event-loop lag and memory).
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

/** Hashes running at once; the JS thread keeps the other cores. */
const SLOTS = Math.max(1, Math.floor((navigator.hardwareConcurrency || 2) / 2));
let running = 0;
const waiting: (() => void)[] = [];

async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (running >= SLOTS) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

export function hashPassword(password: string): Promise<string> {
  return limited(() => hash(password, PARAMS));
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
    const d = await dummy;
    await limited(() => verify(d, password)).catch(() => false);
    return false;
  }
  try {
    return await limited(() => verify(phc, password));
  } catch {
    return false;
  }
}
