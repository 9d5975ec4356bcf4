/**
 * Pure decisions of a notification send (later.md §5): upstream's 400 rules, the id, the
 * fan-out subjects of a target and the target read back from them, and the per-PC ack
 * roster. No I/O here; `publish.ts` and `reads.ts` do it.
 */
import { isSubjectToken, SUBJECT, subjects as subj } from "../../wire/names.ts";
import { isTargetSpecified, type Target, targetSubjects } from "../../wire/fanout.ts";
import {
  type Notification,
  NOTIFICATION_ID_RE,
  type PublishNotification,
} from "../../wire/notifications.ts";
import { epochMs, wireTs } from "../../wire/time.ts";

export const NO_TARGET = "target must set at least one of `all`, `groups`, or `pcs`";
export const EMPTY_TITLE = "title must not be empty";
export const PAST_EXPIRY = "expires_at must be in the future";

/** The first rule a request breaks (upstream's order and texts), or null. */
export function publishProblem(req: PublishNotification, nowMs: number): string | null {
  if (!isTargetSpecified(req.target)) return NO_TARGET;
  for (const [what, list] of [["groups", req.target.groups], ["pcs", req.target.pcs]] as const) {
    const i = list.findIndex((v) => !isSubjectToken(v));
    if (i >= 0) {
      return `target.${what}[${i}]: '${
        list[i]
      }' is not a valid subject token (no spaces, dots, '*' or '>')`;
    }
  }
  if (req.title.trim() === "") return EMPTY_TITLE;
  if (req.expires_at && epochMs(req.expires_at) <= nowMs) return PAST_EXPIRY;
  const id = req.id?.trim();
  if (id && !NOTIFICATION_ID_RE.test(id)) {
    return `id '${id}' must be 1..128 characters of [A-Za-z0-9_.-] without empty dot-separated parts`;
  }
  return null;
}

/** The operator's id (trimmed) wins; otherwise a fresh UUID, as upstream. */
export function notificationId(req: Pick<PublishNotification, "id">, mint: () => string): string {
  const id = req.id?.trim();
  return id ? id : mint();
}

export function buildNotification(
  req: PublishNotification,
  id: string,
  nowMs: number,
): Notification {
  return {
    id,
    priority: req.priority,
    require_ack: req.require_ack,
    title: req.title,
    body: req.body,
    toast: req.toast,
    issued_at: wireTs(nowMs),
    issued_by: req.issued_by ?? null,
    expires_at: req.expires_at ? wireTs(req.expires_at) : null,
  };
}

/** The target as recorded: lists without repeats, in the operator's order. */
export function normalizeTarget(t: Target): Target {
  return { all: t.all, groups: [...new Set(t.groups)], pcs: [...new Set(t.pcs)] };
}

/** `notifications.all`, one `notifications.group.<g>`, one `notifications.pc.<pc>`; no repeats. */
export function notificationSubjects(t: Target): string[] {
  return targetSubjects(t, {
    all: SUBJECT.notificationsAll,
    group: subj.notificationsGroup,
    pc: subj.notificationsPc,
  });
}

/** The addressing intent read back from the subjects the copies landed on (sorted). */
export function targetFromSubjects(subjects: readonly string[]): Target {
  const groups = new Set<string>();
  const pcs = new Set<string>();
  let all = false;
  for (const s of subjects) {
    if (s === SUBJECT.notificationsAll) all = true;
    else if (s.startsWith(SUBJECT.notificationsGroupPrefix)) {
      groups.add(s.slice(SUBJECT.notificationsGroupPrefix.length));
    } else if (s.startsWith(SUBJECT.notificationsPcPrefix)) {
      pcs.add(s.slice(SUBJECT.notificationsPcPrefix.length));
    }
  }
  return { all, groups: [...groups].sort(), pcs: [...pcs].sort() };
}

export interface AckEntry {
  pc_id: string;
  user_sid: string;
  acked_at: string;
  account?: string | null;
}

export interface AudiencePc {
  pc_id: string;
  confirmed: boolean;
  /** Earliest ack of any user on the PC; absent while pending. */
  acked_at?: string;
}

/**
 * Per-PC roster: the resolved audience plus any PC that acked (a membership change after
 * the send never hides a real confirmation); a PC is confirmed once any user acked.
 * Pending first, then by pc_id, so "who has not confirmed" leads.
 */
export function assembleRoster(audience: readonly string[], acks: readonly AckEntry[]) {
  const first = new Map<string, string>();
  for (const a of acks) {
    const cur = first.get(a.pc_id);
    if (cur === undefined || epochMs(a.acked_at) < epochMs(cur)) first.set(a.pc_id, a.acked_at);
  }
  const pcs = new Set([...audience, ...first.keys()]);
  const roster: AudiencePc[] = [...pcs].map((pc_id) => {
    const at = first.get(pc_id);
    return at === undefined
      ? { pc_id, confirmed: false }
      : { pc_id, confirmed: true, acked_at: at };
  });
  roster.sort((a, b) =>
    Number(a.confirmed) - Number(b.confirmed) ||
    (a.pc_id < b.pc_id ? -1 : a.pc_id > b.pc_id ? 1 : 0)
  );
  return roster;
}

export type NotificationStatus = "active" | "expired" | "recalled";

/** What the history shows: recalled and expired copies are gone from agents' replays. */
export function notificationStatus(
  n: { expires_at: string | null; withdraw_reason: string | null },
  nowMs: number,
): NotificationStatus {
  if (n.withdraw_reason === "recalled") return "recalled";
  if (n.withdraw_reason === "expired") return "expired";
  if (n.expires_at && epochMs(n.expires_at) <= nowMs) return "expired";
  return "active";
}
