/** The engine's cron dialect (croner): seconds required, year optional. */
import { Cron } from "croner";
import type { Tz } from "./schedule.ts";

/** The engine's cron options: seconds required, year optional, DOM and DOW both honoured. */
export function cronOptions(tz: Tz) {
  return {
    paused: true,
    mode: "6-or-7-parts" as const,
    domAndDow: true,
    ...(tz === "utc" ? { timezone: "UTC" } : {}),
  };
}

export function makeCron(expr: string, tz: Tz): Cron {
  return new Cron(expr, cronOptions(tz));
}

/** The croner parse error of a cron expression, or null. */
export function cronError(expr: string): string | null {
  try {
    makeCron(expr, "utc").stop();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}
