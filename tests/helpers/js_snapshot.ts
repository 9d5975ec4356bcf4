/** The config of every stream on a broker, for "nothing changed" assertions. */
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";

export async function snapshot(url: string): Promise<Record<string, unknown>> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const out: Record<string, unknown> = {};
    for await (const s of jsm.streams.list()) {
      const { created: _c, ...config } = s.config as unknown as Record<string, unknown>;
      out[s.config.name] = config;
    }
    return out;
  } finally {
    await nc.close();
  }
}
