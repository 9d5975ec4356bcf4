import assert from "node:assert/strict";
import { isTotpSecret, matchTotpStep, newTotpSecret, otpauthUrl, totpCode } from "./totp.ts";
import { open, seal } from "./secret_box.ts";
import { signInHelp } from "./sign_in_help.ts";

// RFC 6238 appendix B, SHA1, secret "12345678901234567890" (base32 below), 8 → 6 digits.
const RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

Deno.test("TOTP: RFC 6238 vectors, ±1 step, the matched step", () => {
  const vectors: [number, string][] = [
    [59, "287082"],
    [1111111109, "081804"],
    [1111111111, "050471"],
    [1234567890, "005924"],
    [2000000000, "279037"],
  ];
  for (const [t, code] of vectors) {
    assert.equal(totpCode(RFC_SECRET, t * 1000), code, `t=${t}`);
    assert.equal(matchTotpStep(RFC_SECRET, code, t * 1000), Math.floor(t / 30));
  }
  const now = 1_800_000_000_000;
  const step = Math.floor(now / 30_000);
  assert.equal(matchTotpStep(RFC_SECRET, totpCode(RFC_SECRET, now - 30_000), now), step - 1);
  assert.equal(matchTotpStep(RFC_SECRET, totpCode(RFC_SECRET, now + 30_000), now), step + 1);
  assert.equal(matchTotpStep(RFC_SECRET, totpCode(RFC_SECRET, now + 60_000), now), null);
  for (const bad of ["", "12345", "1234567", "abcdef", " 287082"]) {
    assert.equal(matchTotpStep(RFC_SECRET, bad, 59_000), null, bad);
  }
  const s = newTotpSecret();
  assert.ok(isTotpSecret(s) && s.length === 32);
  assert.ok(
    !isTotpSecret("abc") && !isTotpSecret("A".repeat(129)) && !isTotpSecret("0".repeat(16)),
  );
  assert.equal(
    otpauthUrl(RFC_SECRET, "al ice"),
    `otpauth://totp/kanade:al%20ice?issuer=kanade&secret=${RFC_SECRET}&algorithm=SHA1&digits=6&period=30`,
  );
});

Deno.test("secret box: AES-GCM round trip, bound to its owner and key, tamper-evident", async () => {
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
  const other = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
  const sealed = await seal(key, RFC_SECRET, "alice");
  assert.match(sealed, /^v1\.[\w-]{16}\.[\w-]+$/);
  assert.ok(!sealed.includes(RFC_SECRET));
  assert.notEqual(await seal(key, RFC_SECRET, "alice"), sealed, "fresh IV each time");
  assert.equal(await open(key, sealed, "alice"), RFC_SECRET);
  await assert.rejects(open(key, sealed, "bob"));
  await assert.rejects(open(other, sealed, "alice"));
  const [v, iv, ct] = sealed.split(".");
  const flipped = ct.slice(0, -2) + (ct.at(-2) === "A" ? "B" : "A") + ct.at(-1);
  await assert.rejects(open(key, `${v}.${iv}.${flipped}`, "alice"));
  await assert.rejects(open(key, "garbage", "alice"));
});

Deno.test("signInHelp(): what deno task dev prints in each auth mode", () => {
  const base = { bind: "127.0.0.1:8080", bootstrapAdminUser: "admin" };
  const off = signInHelp({ ...base, authDisable: true }, { accounts: 0, bootstrapped: null }, 8080);
  assert.match(off[0], /http:\/\/127\.0\.0\.1:8080\/ \(auth disabled/);
  assert.match(off[1], /KANADE_BOOTSTRAP_ADMIN_PASSWORD/);
  const fresh = signInHelp(
    { ...base, authDisable: false, jwtSecret: "s" },
    { accounts: 1, bootstrapped: "admin" },
    9090,
  );
  assert.deepEqual(fresh, [
    "dashboard: http://127.0.0.1:9090/login",
    "sign in as 'admin' with KANADE_BOOTSTRAP_ADMIN_PASSWORD; you will be asked to change it",
  ]);
  const noSecret = signInHelp(
    { ...base, authDisable: false, staticToken: "t" },
    { accounts: 1, bootstrapped: null },
    8080,
  );
  assert.match(noSecret[1], /KANADE_JWT_SECRET/);
  assert.match(noSecret[2], /Service token/);
});
