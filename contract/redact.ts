/**
 * Secrets kept out of error messages: configuration errors echo the value they refuse ("got …") so an operator sees
 * what was read, but a password in a database or broker URL, or the value of a key named like a secret, must not
 * land in a terminal, a log file or a CI transcript.
 */

/** Keys whose values are secrets whatever their shape (`password`, `apiToken`, `clientSecret`, `privateKey`…). */
const SECRET_KEY = /(password|passwd|secret|token|private.?key|credential)s?$/i;

/** `scheme://user:password@host` → `scheme://user:***@host` (any URL-like text, also inside longer strings). */
export function redactUrlPassword(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s@/]*@/gi, '$1:***@');
}

/**
 * `value` as it may be shown in a message about the setting at `path` (dot- or array-path): a secret key's value is
 * `***`, URL passwords are masked, objects and arrays are walked (their keys judged the same way).
 */
export function redactForMessage(path: string | readonly (string | number)[], value: unknown): unknown {
  const parts = typeof path === 'string' ? path.split('.') : path.map(String);
  const last = parts.at(-1) ?? '';
  if (SECRET_KEY.test(last) && value !== undefined && value !== null) return '***';
  if (typeof value === 'string') return redactUrlPassword(value);
  if (Array.isArray(value)) return value.map((v, i) => redactForMessage([...parts, i], v));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactForMessage([...parts, k], v)]));
  return value;
}
