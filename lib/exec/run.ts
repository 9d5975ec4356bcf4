/**
 * Ad-hoc run on one PC (`POST /api/run`): subscribe `results.<request_id>` and flush
 * BEFORE publishing the Command, so a fast agent's reply cannot be missed; then wait
 * `timeout_secs + 10 s` for the first ExecResult.
 */
import { z } from "zod";
import type { Deps } from "../deps.ts";
import type { Caller } from "../auth.ts";
import { badGateway, badRequest, internal, requestTimeout } from "../errors.ts";
import { withTimeout } from "../../util/retry.ts";
import { recordAudit } from "../audit.ts";
import { encodeCommand, ExecResultSchema } from "../../wire/messages.ts";
import { ADHOC_RUN_ID, ADHOC_RUN_VERSION, isSubjectToken, subjects } from "../../wire/names.ts";
import { jsonBytes, parseJsonBytes } from "../../wire/codec.ts";

/** Longest ad-hoc timeout accepted (the HTTP request stays open for it). */
export const MAX_RUN_TIMEOUT_SECS = 3600;
export const RUN_GRACE_MS = 10_000;

export const RunInputSchema = z.object({
  pc_id: z.string(),
  shell: z.string().nullish(),
  script: z.string(),
  timeout_secs: z.number().int().nonnegative().nullish(),
  /** Before v0.29 the exec id was called `job_id`; it lets `kill.<id>` stop the run. */
  job_id: z.string().nullish(),
  jitter_secs: z.number().int().nonnegative().nullish(),
  run_as: z.string().nullish(),
});
export type RunInput = z.infer<typeof RunInputSchema>;

const SHELLS: Record<string, string> = {
  powershell: "powershell",
  ps: "powershell",
  pwsh: "powershell",
  cmd: "cmd",
};
const RUN_AS = ["system", "user", "system_gui"];

/** `ps`/`pwsh` are the CLI's aliases of powershell (the target agents know two shells). */
export function normalizeShell(shell: string | null | undefined): string | null {
  return SHELLS[(shell ?? "powershell").trim().toLowerCase()] ?? null;
}

export function buildRunCommand(input: RunInput, requestId: string) {
  if (!isSubjectToken(input.pc_id)) throw badRequest(`invalid pc_id '${input.pc_id}'`);
  const shell = normalizeShell(input.shell);
  if (!shell) {
    throw badRequest(`unknown shell '${input.shell}' (expected powershell, ps, pwsh or cmd)`);
  }
  const timeout = input.timeout_secs ?? 60;
  if (timeout > MAX_RUN_TIMEOUT_SECS) {
    throw badRequest(`timeout_secs must be at most ${MAX_RUN_TIMEOUT_SECS}`);
  }
  const runAs = input.run_as ?? "system";
  if (!RUN_AS.includes(runAs)) {
    throw badRequest(`unknown run_as '${runAs}' (expected system, user or system_gui)`);
  }
  if (input.job_id != null && !isSubjectToken(input.job_id)) {
    throw badRequest(`invalid job_id '${input.job_id}'`);
  }
  if (input.script.trim() === "") throw badRequest("script must not be empty");
  return encodeCommand({
    id: ADHOC_RUN_ID,
    version: ADHOC_RUN_VERSION,
    request_id: requestId,
    exec_id: input.job_id ?? null,
    shell,
    script: input.script,
    timeout_secs: timeout,
    jitter_secs: input.jitter_secs ?? null,
    run_as: runAs,
  });
}

export async function adhocRun(
  deps: Deps,
  input: RunInput,
  opts: { caller?: Caller | null; graceMs?: number } = {},
): Promise<Record<string, unknown>> {
  const requestId = crypto.randomUUID();
  const command = buildRunCommand(input, requestId);
  const waitMs = (command.timeout_secs as number) * 1000 + (opts.graceMs ?? RUN_GRACE_MS);
  const nc = deps.nats.nc;
  let sub;
  try {
    sub = nc.subscribe(subjects.results(requestId));
    await nc.flush();
  } catch (e) {
    throw internal(`subscribe results: ${(e as Error).message}`, e);
  }
  try {
    try {
      nc.publish(subjects.commandsPc(input.pc_id), jsonBytes(command));
      await nc.flush();
    } catch (e) {
      throw badGateway(`publish to ${subjects.commandsPc(input.pc_id)}: ${(e as Error).message}`);
    }
    await recordAudit(deps.nats, {
      action: "run",
      target: input.pc_id,
      payload: { request_id: requestId, shell: command.shell, timeout_secs: command.timeout_secs },
    }, opts.caller);
    const first = (async () => {
      for await (const m of sub) {
        try {
          const raw = parseJsonBytes(m.data) as Record<string, unknown>;
          if (ExecResultSchema.safeParse(raw).success) return raw;
        } catch {
          // not JSON: keep waiting for a real result
        }
        deps.log.warn("undecodable result on run subject", { request_id: requestId });
      }
      return null;
    })();
    const result = await withTimeout(first, waitMs);
    if (!result) {
      throw requestTimeout(
        `no result from '${input.pc_id}' within ${
          Math.round(waitMs / 1000)
        } s (request_id ${requestId})`,
      );
    }
    return result;
  } finally {
    sub.unsubscribe();
  }
}
