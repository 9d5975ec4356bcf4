/** Generated README sections (route table, layer table) live between marker comments. */

/** Replace the marked section; throws when the markers are missing or out of order. */
export function replaceMarked(readme: string, table: string, start: string, end: string): string {
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  if (a < 0 || b < 0 || b < a) {
    throw new Error(`README needs the markers ${start} and ${end} (in that order)`);
  }
  return `${readme.slice(0, a + start.length)}\n${table}${readme.slice(b)}`;
}
