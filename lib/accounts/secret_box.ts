/**
 * TOTP secrets at rest: AES-256-GCM through WebCrypto with the key from KANADE_MFA_KEY
 * (base64 of 32 bytes), a random 96-bit IV per seal, and the username as additional
 * data, so a sealed secret copied onto another account does not open. Format:
 * `v1.<iv base64url>.<ciphertext+tag base64url>`.
 */
import { Buffer } from "node:buffer";

const te = new TextEncoder();
const td = new TextDecoder();
const keys = new Map<string, Promise<CryptoKey>>();

function importKey(keyB64: string): Promise<CryptoKey> {
  let k = keys.get(keyB64);
  if (!k) {
    k = crypto.subtle.importKey("raw", Buffer.from(keyB64, "base64"), "AES-GCM", false, [
      "encrypt",
      "decrypt",
    ]);
    keys.set(keyB64, k);
  }
  return k;
}

export async function seal(keyB64: string, plaintext: string, owner: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: te.encode(owner) },
    await importKey(keyB64),
    te.encode(plaintext),
  );
  const b64 = (b: Uint8Array | ArrayBuffer) => Buffer.from(b as ArrayBuffer).toString("base64url");
  return `v1.${b64(iv)}.${b64(ct)}`;
}

/** Throws when the key is wrong, the owner differs or the value was tampered with. */
export async function open(keyB64: string, sealed: string, owner: string): Promise<string> {
  const [v, iv, ct] = sealed.split(".");
  if (v !== "v1" || !iv || !ct) throw new Error("not a sealed secret");
  const pt = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: Buffer.from(iv, "base64url"), additionalData: te.encode(owner) },
    await importKey(keyB64),
    Buffer.from(ct, "base64url"),
  );
  return td.decode(pt);
}
