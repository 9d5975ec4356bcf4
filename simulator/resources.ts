/**
 * The JetStream resources the agents need before they can start: KV `agent_groups` and
 * `agent_config` (watched), stream `EXEC` (replay) and `RESULTS` (results). Like a real
 * agent started before its backend, the simulator waits for them (saying once what it waits
 * for); with `--setup` it creates every resource itself, as `kanade jetstream setup` does.
 */
import { setupJetStream } from "../lib/jetstream_setup.ts";
import { isNotFound, type Nats } from "../lib/nats.ts";
import { BUCKET, STREAM } from "../wire/names.ts";
import { sleep } from "./util.ts";

export const NEEDED_STREAMS = [
  `KV_${BUCKET.agentGroups}`,
  `KV_${BUCKET.agentConfig}`,
  STREAM.exec,
  STREAM.results,
];

/** The needed streams that do not exist (a broker error other than "not found" throws). */
export async function missingResources(nats: Nats): Promise<string[]> {
  const missing: string[] = [];
  for (const name of NEEDED_STREAMS) {
    try {
      await nats.jsm.streams.info(name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      missing.push(name);
    }
  }
  return missing;
}

export async function ensureResources(
  nats: Nats,
  opts: { create: boolean; log: (msg: string) => void; stopped: () => boolean },
): Promise<void> {
  let missing = await missingResources(nats);
  if (missing.length === 0) return;
  if (opts.create) {
    const r = await setupJetStream(nats);
    opts.log(`fleet: created ${r.created.length} JetStream resources (--setup)`);
    return;
  }
  opts.log(
    `fleet: waiting for the backend to create ${missing.join(", ")} (or pass --setup)`,
  );
  while (missing.length && !opts.stopped()) {
    await sleep(1000);
    missing = await missingResources(nats).catch(() => missing);
  }
}
