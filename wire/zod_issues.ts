/**
 * The one rendering of zod issues into text, used by every boundary that reports them:
 * the config loader, the manifest and schedule create-boundaries, the route edge (params,
 * query, body) and the freeze input. One issue → one line `<path>: <message>`, the path
 * written the way an operator finds it in YAML (`inventory.display[0].label`); unknown
 * keys are named one by one with their full path (`` unknown field `execute.foo` ``).
 * Messages that need a hint belong on the schema (`{ error: "…" }`), never here.
 */
import type { z } from "zod";

/** `["a", 0, "b"]` → `a[0].b`. */
export function issuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
  }
  return out;
}

export interface IssueFormat {
  /** Written where an issue has no path (the whole value); default: nothing. */
  root?: string;
}

/** One line per problem, in the order zod found them. */
export function issueLines(err: z.ZodError, opts: IssueFormat = {}): string[] {
  const lines: string[] = [];
  for (const i of err.issues) {
    const at = issuePath(i.path);
    if (i.code === "unrecognized_keys") {
      for (const k of i.keys) lines.push(`unknown field \`${at ? `${at}.${k}` : k}\``);
      continue;
    }
    const where = at || opts.root;
    lines.push(where ? `${where}: ${i.message}` : i.message);
  }
  return lines;
}

/** Every problem on one line, `; `-separated (the form API error messages use). */
export function formatIssues(err: z.ZodError, opts: IssueFormat = {}): string {
  return issueLines(err, opts).join("; ");
}
