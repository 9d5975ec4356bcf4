/**
 * `deno task cluster`: a 3-node JetStream cluster on loopback with temp stores, for demos.
 * Prints the server list to use as KANADE_NATS_URL; Ctrl-C stops and removes it.
 */
import { startCluster, waitJetStreamReady } from "../helpers/cluster.ts";

const cluster = await startCluster();
await waitJetStreamReady(cluster.urls);
console.log(`KANADE_NATS_URL=${cluster.urls.join(",")} KANADE_JS_REPLICAS=3`);
for (const n of cluster.nodes) console.log(`  ${n.name}: ${n.url} (store ${n.storeDir})`);
const stop = async () => {
  await cluster.stop();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
