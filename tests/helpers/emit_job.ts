/** Jobs whose run records observability events (`emit: type: events`) on simulated agents. */

export interface EmitEvent {
  kind: string;
  source: string;
  payload?: Record<string, unknown>;
}

/**
 * The YAML of an emit job: each event is one `json` line of the simulated script, so every
 * PC that runs the job records these events (in this order).
 */
export function emitEventsYaml(id: string, events: EmitEvent[]): string {
  const lines = events.map((e) => `    json ${JSON.stringify(e)}`).join("\n");
  return `id: ${id}
version: "1.0.0"
emit:
  type: events
execute:
  shell: powershell
  script: |
${lines}
  timeout: 30s
`;
}
