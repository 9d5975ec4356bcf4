/**
 * An inventory job the simulated agents can run: its script prints one JSON object (the OS
 * and two installed apps, Chrome at `chrome`), the manifest explodes `apps` into `table`
 * with history. A new `version` plus a new `chrome` makes the next scan a change.
 */
export function appsInventoryYaml(o: {
  id: string;
  table: string;
  version: string;
  chrome: string;
  /** Scalars whose changes are kept too (`history_scalars`). */
  historyScalars?: string[];
}): string {
  const facts =
    `{"os":"Windows 11","apps":[{"name":"Chrome","version":"${o.chrome}"},{"name":"7-Zip","version":"23.01"}]}`;
  const scalars = o.historyScalars?.length
    ? `  history_scalars: [${o.historyScalars.join(", ")}]\n`
    : "";
  return `id: ${o.id}
version: "${o.version}"
description: Installed software
execute:
  shell: powershell
  script: 'json ${facts}'
  timeout: 30s
inventory:
  display:
    - field: os
      label: OS
${scalars}  explode:
    - field: apps
      table: ${o.table}
      primary_key: [name]
      columns:
        - field: name
          type: text
        - field: version
          type: text
      track_history: true
`;
}
