/** Structured JSON-lines logs carrying the ids an operator searches for. */

export type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

let threshold = ORDER.info;

export function setLogLevel(level: string): void {
  const l = level.toLowerCase() as Level;
  threshold = ORDER[l] ?? ORDER.info;
}

function emit(level: Level, msg: string, fields?: Record<string, unknown>): void {
  if (ORDER[level] < threshold) return;
  const line: Record<string, unknown> = { ts: new Date().toISOString(), level, msg };
  if (fields) {
    for (const [k, v] of Object.entries(fields)) {
      line[k] = v instanceof Error ? `${v.name}: ${v.message}` : v;
    }
  }
  const text = JSON.stringify(line);
  if (level === "error" || level === "warn") console.error(text);
  else console.log(text);
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function logger(base: Record<string, unknown> = {}): Logger {
  const m = (level: Level) => (msg: string, fields?: Record<string, unknown>) =>
    emit(level, msg, { ...base, ...fields });
  return {
    debug: m("debug"),
    info: m("info"),
    warn: m("warn"),
    error: m("error"),
    child: (f) => logger({ ...base, ...f }),
  };
}

export const log = logger();
