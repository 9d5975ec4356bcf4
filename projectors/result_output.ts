/**
 * The text of a result whose output overflowed into the `result_output` object store
 * (protocol: large stdout/stderr travel as an object key). Read before the batch's
 * transaction (the results projector's `prepare`).
 *
 * A missing object is empty text at once (as upstream). A broker that does not answer (a
 * fleet-wide burst) is retried for `budgetMs`; still unanswered, the read says so (null) and
 * the projector redelivers that one message later instead of projecting empty text: the
 * output exists and must not be lost to a busy minute. After `giveUp` the text is given up.
 */
import type { Deps } from "../lib/deps.ts";
import { OBJECT_STORE } from "../wire/names.ts";
import { retryWhile } from "../util/retry.ts";

/** The object store answered: there is no such object (retrying will not help). */
class ObjectMissing extends Error {}

export async function fetchObject(
  deps: Pick<Deps, "nats" | "log">,
  key: string,
  opts: { budgetMs?: number; giveUp?: boolean } = {},
): Promise<string | null> {
  try {
    const data = await retryWhile(async () => {
      const store = await deps.nats.obj(OBJECT_STORE.resultOutput);
      const blob = await store.getBlob(key);
      if (!blob) throw new ObjectMissing("object not found");
      return blob;
    }, {
      transient: (e) => !(e instanceof ObjectMissing),
      until: Date.now() + (opts.budgetMs ?? 30_000),
      firstPauseMs: 250,
      maxPauseMs: 4_000,
    });
    return new TextDecoder().decode(data); // lossy UTF-8, as upstream
  } catch (e) {
    if (!(e instanceof ObjectMissing) && !opts.giveUp) {
      deps.log.warn("overflow output unavailable, result redelivered later", { key, err: e });
      return null;
    }
    deps.log.warn("overflow output unavailable, projecting empty text", { key, err: e });
    return "";
  }
}
