/** Host labels as the re-label form edits them: one `key=value` per line (blank lines ignored). Pure. */

const KEY = /^[a-zA-Z0-9_./-]{1,64}$/;

/** The labels as text, sorted by key. */
export function labelsToLines(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}

/** Parses the form's text; the first bad line is named (1-based) with why. */
export function parseLabelLines(
  text: string,
): { labels: Record<string, string>; error: null } | { labels: null; error: string } {
  const labels: Record<string, string> = {};
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq).trim();
    const value = eq < 0 ? '' : line.slice(eq + 1).trim();
    const bad = (why: string) => ({ labels: null, error: `Line ${i + 1}: ${why}` }) as const;
    if (eq < 0) return bad(`'${line}' is not key=value`);
    if (!KEY.test(key)) return bad(`bad key '${key}' (letters, digits and _ . / -, at most 64)`);
    if (!value || value.length > 256) return bad(`the value of '${key}' must be 1 to 256 characters`);
    if (key in labels) return bad(`'${key}' is given twice`);
    labels[key] = value;
  }
  return { labels, error: null };
}
