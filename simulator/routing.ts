/**
 * Live subscriptions of one shared connection. Each connection subscribes a handful of
 * wildcards once (`commands.>`, `kill.*`, `agents.*.ping`, `logs.fetch.*`, `job.tail.*`) and
 * routes every message in-process to the agents that would have received it on their own
 * subscriptions.
 */
import type { Msg } from "@nats-io/transport-node";
import { type Command, CommandSchema } from "../wire/messages.ts";
import { SUBJECT, subjects } from "../wire/names.ts";
import type { Agent } from "./agent.ts";
import type { Link } from "./link.ts";
import { lookupsFor } from "./lookups.ts";
import { td } from "./util.ts";

// Subject prefixes derived from the names.ts helpers (no subject is spelled here).
const KILL_PREFIX = subjects.kill("");
const LOGS_PREFIX = subjects.logsFetch("");
const TAIL_PREFIX = subjects.jobTail("");
const [PING_PRE, PING_POST] = subjects.ping("\u0000").split("\u0000");

/** Agents by group, across links (kept by the fleet as memberships change). */
export type GroupIndex = Map<string, Set<Agent>>;

function routeCommand(link: Link, byGroup: GroupIndex, msg: Msg) {
  let targets: Iterable<Agent>;
  const subj = msg.subject;
  if (subj === SUBJECT.commandsAll) targets = link.agents.values();
  else if (subj.startsWith(SUBJECT.commandsPcPrefix)) {
    const a = link.agents.get(subj.slice(SUBJECT.commandsPcPrefix.length));
    targets = a ? [a] : [];
  } else if (subj.startsWith(SUBJECT.commandsGroupPrefix)) {
    const set = byGroup.get(subj.slice(SUBJECT.commandsGroupPrefix.length));
    targets = set ? [...set].filter((a) => a.link === link) : [];
  } else return;
  const online = [...targets].filter((a) => a.online);
  if (online.length === 0) return;
  let cmd: Command;
  try {
    cmd = CommandSchema.parse(JSON.parse(td.decode(msg.data)));
  } catch (e) {
    for (const a of online) a.log("WARN", `undecodable command on ${subj}: ${e}`);
    return;
  }
  const shared = lookupsFor(link, cmd);
  for (const a of online) a.handle(cmd, shared).catch((e) => a.log("ERROR", String(e)));
}

function routeRequest(link: Link, msg: Msg, pcId: string, kind: "ping" | "logs" | "tail") {
  const a = link.agents.get(pcId);
  if (!a || !a.online || !msg.reply) return;
  if (kind === "ping") a.replyPing(msg);
  else if (kind === "logs") a.replyLogs(msg);
  else a.replyTail(msg);
}

function routeKill(link: Link, msg: Msg) {
  const execId = msg.subject.slice(KILL_PREFIX.length);
  const runs = link.runsByExec.get(execId);
  if (!runs) return;
  for (const ctl of [...runs]) {
    if (!ctl.agent.online) continue; // an offline agent hears nothing
    ctl.interrupt("kill");
  }
}

export function subscribeLink(link: Link, byGroup: GroupIndex) {
  const nc = link.nc;
  nc.subscribe(SUBJECT.commandsFilter, {
    callback: (_e, m) => routeCommand(link, byGroup, m),
  });
  nc.subscribe(SUBJECT.killFilter, { callback: (_e, m) => routeKill(link, m) });
  // One wildcard per request/reply subject; the pc id is the token the helpers put in.
  nc.subscribe(subjects.ping("*"), {
    callback: (_e, m) =>
      routeRequest(link, m, m.subject.slice(PING_PRE.length, -PING_POST.length), "ping"),
  });
  nc.subscribe(subjects.logsFetch("*"), {
    callback: (_e, m) => routeRequest(link, m, m.subject.slice(LOGS_PREFIX.length), "logs"),
  });
  nc.subscribe(subjects.jobTail("*"), {
    callback: (_e, m) => routeRequest(link, m, m.subject.slice(TAIL_PREFIX.length), "tail"),
  });
}
