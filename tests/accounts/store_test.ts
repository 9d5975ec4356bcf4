/**
 * Where accounts live: JetStream KV, not the database. Accounts survive a wiped database
 * and are the same on every API process; the last-enabled-admin guards hold under 20
 * concurrent requests spread over two processes; two processes bootstrapping at once
 * seed one admin; MFA accounts refuse a start without the key that sealed them.
 */
import assert from "node:assert/strict";
import { startTestBackend } from "../helpers/backend.ts";
import { startNatsServer } from "../helpers/nats_server.ts";
import {
  accountsEnv,
  BOOT_PASSWORD,
  call,
  createAccount,
  login,
  MFA_KEY,
  tokenFor,
} from "../helpers/accounts.ts";
import { totpCode } from "../../lib/accounts/totp.ts";
import { ConfigError } from "../../lib/errors.ts";

type Row = { username: string; role: string; disabled: number };

Deno.test({
  name: "last-admin guards: 20 concurrent demotes/disables/deletes over two processes",
  sanitizeResources: false,
  async fn(t) {
    const a = await startTestBackend({ env: accountsEnv() });
    const b = await startTestBackend({ env: accountsEnv(), broker: a.broker });
    try {
      const admins = Array.from({ length: 20 }, (_, i) => `adm${String(i).padStart(2, "0")}`);
      await t.step("20 admins, each removed by one of 20 concurrent requests", async () => {
        // The bootstrap admin is demoted first: the 20 are then every enabled admin.
        for (const u of admins) await createAccount(a, u, "admin-pass-" + u, "admin");
        assert.equal(
          (await call(a, a.token, "PATCH", "/api/accounts/admin", { role: "viewer" })).status,
          204,
        );
        const answers = await Promise.all(admins.map((u, i) => {
          const be = i % 2 ? a : b;
          const path = `/api/accounts/${u}`;
          return i % 3 === 0 ? call(be, be.token, "DELETE", path) : call(
            be,
            be.token,
            "PATCH",
            path,
            i % 3 === 1 ? { role: "operator" } : { disabled: true },
          );
        }));
        const statuses = answers.map((r) => r.status);
        assert.equal(statuses.filter((s) => s === 409).length, 1, `statuses ${statuses}`);
        assert.equal(statuses.filter((s) => s === 204).length, 19, `statuses ${statuses}`);
        const refused = answers.find((r) => r.status === 409)!;
        assert.match(
          refused.body.error!,
          /^cannot (demote|disable|delete) the last enabled admin$/,
        );
        for (const be of [a, b]) {
          const rows = (await call(be, be.token, "GET", "/api/accounts")).body as unknown as Row[];
          const enabledAdmins = rows.filter((r) => r.role === "admin" && !r.disabled);
          assert.equal(enabledAdmins.length, 1, "exactly one enabled admin is left");
        }
      });
      await t.step(
        "two admins deleting each other 10 times each at once: one survives",
        async () => {
          await createAccount(a, "left", "left-password", "admin");
          const rows = (await call(a, a.token, "GET", "/api/accounts")).body as unknown as Row[];
          const other = rows.find((r) =>
            r.role === "admin" && !r.disabled && r.username !== "left"
          )!;
          const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => {
            const be = i % 2 ? a : b;
            const who = i % 2 ? "left" : other.username;
            return call(be, be.token, "DELETE", `/api/accounts/${who}`);
          }));
          const ok = answers.filter((r) => r.status === 204).length;
          assert.equal(ok, 1, answers.map((r) => `${r.status} ${r.body.error ?? ""}`).join("; "));
          const after = (await call(b, b.token, "GET", "/api/accounts")).body as unknown as Row[];
          assert.equal(after.filter((r) => r.role === "admin" && !r.disabled).length, 1);
        },
      );
    } finally {
      await b.stop();
      await a.stop();
    }
  },
});

Deno.test({
  name: "accounts survive a wiped database and are identical on two API processes",
  sanitizeResources: false,
  async fn() {
    const broker = await startNatsServer();
    try {
      const a = await startTestBackend({ env: accountsEnv(), broker });
      let token: string;
      try {
        await createAccount(a, "wendy", "wendy-password", "operator");
        token = await tokenFor(a, "wendy", "wendy-password");
      } finally {
        await a.stop(); // its database file is removed with it
      }
      // A new process on a new, empty database and a different bootstrap password.
      const b = await startTestBackend({
        env: accountsEnv({ KANADE_BOOTSTRAP_ADMIN_PASSWORD: "other-bootstrap-pw" }),
        broker,
      });
      const c = await startTestBackend({ env: accountsEnv(), broker });
      try {
        assert.equal((await call(b, token, "GET", "/api/auth/me")).body.role, "operator");
        assert.equal((await login(b, "wendy", "wendy-password")).status, 200);
        // The bootstrap did not run again: the first password still works, the new one not.
        assert.equal((await login(b, "admin", "other-bootstrap-pw")).status, 401);
        assert.equal((await login(b, "admin", BOOT_PASSWORD)).status, 200);
        const listB = await call(b, b.token, "GET", "/api/accounts");
        const listC = await call(c, c.token, "GET", "/api/accounts");
        assert.deepEqual(listB.body, listC.body);
        // A change made through one process holds at once on the other.
        await call(c, c.token, "PATCH", "/api/accounts/wendy", { disabled: true });
        assert.equal((await call(b, token, "GET", "/api/agents")).status, 401);
      } finally {
        await c.stop();
        await b.stop();
      }
    } finally {
      await broker.stop();
    }
  },
});

Deno.test({
  name: "bootstrap: two processes at once seed one admin; no password → no account",
  sanitizeResources: false,
  async fn() {
    const broker = await startNatsServer();
    try {
      const none = await startTestBackend({
        env: accountsEnv({ KANADE_BOOTSTRAP_ADMIN_PASSWORD: "" }),
        broker,
      });
      try {
        assert.deepEqual((await call(none, none.token, "GET", "/api/accounts")).body, []);
      } finally {
        await none.stop();
      }
      const [p, q] = await Promise.all([
        startTestBackend({
          env: accountsEnv({ KANADE_BOOTSTRAP_ADMIN_USER: "root1" }),
          broker,
        }),
        startTestBackend({
          env: accountsEnv({ KANADE_BOOTSTRAP_ADMIN_USER: "root2" }),
          broker,
        }),
      ]);
      try {
        const rows = (await call(p, p.token, "GET", "/api/accounts")).body as unknown as {
          username: string;
          role: string;
          must_change_pw: number;
        }[];
        assert.equal(rows.length, 1, JSON.stringify(rows));
        assert.ok(["root1", "root2"].includes(rows[0].username));
        assert.deepEqual([rows[0].role, rows[0].must_change_pw], ["admin", 1]);
      } finally {
        await q.stop();
        await p.stop();
      }
    } finally {
      await broker.stop();
    }
  },
});

Deno.test({
  name: "start-up: accounts with MFA refuse a missing or wrong KANADE_MFA_KEY",
  sanitizeResources: false,
  async fn() {
    const be = await startTestBackend({ env: accountsEnv() });
    try {
      await createAccount(be, "kim", "kim-password-1", "viewer");
      const token = await tokenFor(be, "kim", "kim-password-1");
      const { secret } = (await call(be, token, "POST", "/api/auth/mfa/init")).body as {
        secret: string;
      };
      const v = await call(be, token, "POST", "/api/auth/mfa/verify", {
        secret,
        code: totpCode(secret, Date.now()),
      });
      assert.equal(v.status, 204);
      await assert.rejects(
        startTestBackend({ env: accountsEnv({ KANADE_MFA_KEY: "" }), broker: be.broker }),
        (e: Error) =>
          e instanceof ConfigError && /KANADE_MFA_KEY: 1 account\(s\) have MFA/.test(e.message),
      );
      const other = btoa(String.fromCharCode(...new Uint8Array(32).fill(9)));
      assert.notEqual(other, MFA_KEY);
      await assert.rejects(
        startTestBackend({ env: accountsEnv({ KANADE_MFA_KEY: other }), broker: be.broker }),
        (e: Error) => e instanceof ConfigError && /does not open/.test(e.message),
      );
    } finally {
      await be.stop();
    }
  },
});
