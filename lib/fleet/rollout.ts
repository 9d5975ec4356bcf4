/**
 * Rollout: point a config scope's `target_version` (and optionally its jitter) at a
 * published release, with a revision-checked write so concurrent scope edits survive.
 */
import { badRequest, notFound } from "../errors.ts";
import { durationError } from "../../wire/duration.ts";
import type { Nats } from "../nats.ts";
import { patchScope } from "./config_store.ts";
import { releaseExists } from "./releases.ts";
import { type Scope, scopeKey, scopeLabel } from "./scopes.ts";

export interface RolloutAnswer {
  version: string;
  scope_key: string;
  scope_label: string;
  jitter: string | null;
  changed: boolean;
}

export async function rollout(
  nats: Nats,
  version: string,
  scope: Scope,
  jitter: string | null,
): Promise<RolloutAnswer> {
  if (jitter !== null) {
    const err = durationError(jitter);
    if (err) throw badRequest(`invalid jitter '${jitter}': ${err}`);
  }
  if (!(await releaseExists(nats, version))) {
    throw notFound(`release '${version}' not found; publish it first`);
  }
  const patch = jitter === null
    ? { target_version: version }
    : { target_version: version, target_version_jitter: jitter };
  const r = await patchScope(nats, scope, patch);
  return {
    version,
    scope_key: scopeKey(scope),
    scope_label: scopeLabel(scope),
    jitter,
    changed: r.changed,
  };
}
