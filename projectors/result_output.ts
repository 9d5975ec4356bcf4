/**
 * The text of a result whose output overflowed into the `result_output` object store
 * (protocol: large stdout/stderr travel as an object key). Read before the batch's
 * transaction (the results projector's `prepare`).
 */
import type { Deps } from "../lib/deps.ts";
import { OBJECT_STORE } from "../wire/names.ts";
import { retryWhile } from "../util/retry.ts";

export async function fetchObject(deps: Pick<Deps, "nats" | "log">, key: string): Promise<string> {
  try {
    // A busy broker (a fleet-wide burst) times the read out: retried for 30 s before the
    // text is given up; only a missing object gives up at once.
    const data = await retryWhile(async () => {
      const store = await deps.nats.obj(OBJECT_STORE.resultOutput);
      const blob = await store.getBlob(key);
      if (!blob) throw new Error("object not found");
      return blob;
    }, {
      transient: (e) => !/object not found/.test(String(e)),
      until: Date.now() + 30_000,
      firstPauseMs: 250,
      maxPauseMs: 4_000,
    });
    return new TextDecoder().decode(data); // lossy UTF-8, as upstream
  } catch (e) {
    deps.log.warn("overflow output unavailable, projecting empty text", { key, err: e });
    return "";
  }
}
