/**
 * Reading a per-second schedule's fires back from the Commands seen on the wire. A fire is
 * one Command (one `request_id`); the tick it belongs to is named by `deadline_at` minus
 * the schedule's starting_deadline. The same Command seen again (the scheduler repeats a
 * publish whose flush failed; agents drop it by request_id) is one fire, not two.
 */
import { epochMs } from "../../wire/time.ts";

export interface SeenCommand {
  request_id: string;
  exec_id?: string | null;
  deadline_at?: string | null;
}

export interface TickReport {
  /** Per tick (epoch ms): the distinct fires, as `exec_id/request_id`. */
  perTick: Map<number, string[]>;
  /** Every fired tick, ascending. */
  ticks: number[];
  /** Ticks in [first, last] (whole seconds) that no Command names. */
  missing: number[];
  /** Ticks with more than one distinct fire. */
  doubled: [number, string[]][];
}

export function tickReport(
  commands: SeenCommand[],
  startingDeadlineMs: number,
  window: { first: number; last: number },
): TickReport {
  const perTick = new Map<number, string[]>();
  for (const c of commands) {
    if (!c.deadline_at) throw new Error(`scheduled Command without deadline_at: ${c.request_id}`);
    const tick = epochMs(c.deadline_at) - startingDeadlineMs;
    const fire = `${c.exec_id ?? ""}/${c.request_id}`;
    const fires = perTick.get(tick) ?? [];
    if (!fires.includes(fire)) fires.push(fire);
    perTick.set(tick, fires);
  }
  const ticks = [...perTick.keys()].sort((a, b) => a - b);
  const missing: number[] = [];
  for (let t = window.first; t <= window.last; t += 1000) if (!perTick.has(t)) missing.push(t);
  const doubled = [...perTick].filter(([, f]) => f.length > 1);
  return { perTick, ticks, missing, doubled };
}
