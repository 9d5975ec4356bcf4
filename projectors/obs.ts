/**
 * obs projector: `obs.>` → `obs_events`. INSERT OR IGNORE on the unique
 * `(pc_id, source, event_record_id)`, so agent resends are harmless; NULL record ids
 * never collide (each such event is its own row).
 */
import type { Transaction } from "@libsql/client";
import { ObsEventSchema } from "../wire/obs.ts";
import { CONSUMER, STREAM, SUBJECT } from "../wire/names.ts";
import { dbTs } from "../wire/time.ts";
import { insertRows } from "./batch.ts";
import type { Item, JsProjectorSpec } from "./jetstream_projector.ts";
import { parseJsonBytes } from "../wire/codec.ts";

export const decodeObs = (data: Uint8Array) => ObsEventSchema.parse(parseJsonBytes(data));
type Obs = ReturnType<typeof decodeObs>;

export async function applyObs(tx: Transaction, items: Item<Obs>[]): Promise<void> {
  await insertRows(
    tx,
    "INSERT OR IGNORE INTO obs_events (pc_id, at, kind, source, event_record_id, payload)",
    items.map(({ value: o }) => [
      o.pc_id,
      dbTs(o.at),
      o.kind,
      o.source,
      o.event_record_id,
      o.payload === null ? null : JSON.stringify(o.payload),
    ]),
  );
}

export function obsSpec(durable: string = CONSUMER.obs): JsProjectorSpec<Obs> {
  return {
    name: "obs",
    stream: STREAM.obsEvents,
    durable,
    filter: SUBJECT.obsFilter,
    decode: decodeObs,
    async apply(tx, items) {
      await applyObs(tx, items);
      return [{ kind: "obs", count: items.length }];
    },
  };
}
