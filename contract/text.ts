/**
 * Text and JSON admission shared by every boundary (MQTT payload schemas, HTTP bodies): strings must be well-formed
 * Unicode (no lone UTF-16 surrogates, which neither SQLite's JSON nor PostgreSQL's jsonb/text can store), carry no
 * NUL (PostgreSQL text refuses it) and be bounded; free-form JSON values (inventory, event data) are bounded in
 * nesting depth, key count and serialised size. A value that fails is refused at admission with a message naming
 * what was wrong and what is allowed, so it never reaches the database.
 */
import { z } from 'zod';

/** A lone high surrogate (not followed by a low one) or a lone low surrogate (code units, no `u` flag). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** `String.prototype.isWellFormed` (ES2024) for every runtime this code meets (Node 20, browsers, lib ES2023). */
export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}

/** Why a string is not admissible, or null when it is. */
export function textProblem(s: string): string | null {
  if (!isWellFormed(s)) return 'contains a lone UTF-16 surrogate (not well-formed Unicode)';
  if (s.includes('\u0000')) return 'contains a NUL character (U+0000), which is not allowed';
  return null;
}

/** Whether `s` is well-formed Unicode without NUL. */
export function isSafeText(s: string): boolean {
  return textProblem(s) === null;
}

/**
 * A zod string that must be well-formed Unicode without NUL, at most `max` UTF-16 units (and at least `min`).
 * Use it for every string that can reach the database or a log line.
 */
export function text(max: number, min = 0) {
  let s = z.string();
  if (min > 0) s = s.min(min);
  return s.max(max).superRefine((v, ctx) => {
    const p = textProblem(v);
    if (p) ctx.addIssue({ code: 'custom', message: p });
  });
}

/**
 * Which control characters (Unicode category Cc: U+0000–U+001F, U+007F–U+009F) a {@link printable} string may hold:
 * `'none'` for names, labels, paths, URLs and patterns (one line, nothing a terminal or a log would interpret);
 * `'whitespace'` for free text (messages, descriptions, script arguments), which may also hold tab, LF and CR.
 */
export type AllowedControls = 'none' | 'whitespace';

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const ANY_CONTROL = /[\u0000-\u001F\u007F-\u009F]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: all of them but tab, LF and CR
const NON_WHITESPACE_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const ALLOWED: Record<AllowedControls, string> = {
  none: 'printable text (well-formed Unicode, no control characters)',
  whitespace: 'printable text (well-formed Unicode, no control characters but tab and line breaks)',
};

/**
 * Why `s` is not printable text, or null: the first lone UTF-16 surrogate or refused control character, with its
 * index, after what is allowed: "must be printable text (…); found NUL (U+0000) at index 3".
 */
export function printableProblem(s: string, controls: AllowedControls = 'none'): string | null {
  const surrogate = LONE_SURROGATE.exec(s);
  const control = (controls === 'none' ? ANY_CONTROL : NON_WHITESPACE_CONTROL).exec(s);
  if (!surrogate && !control) return null;
  const first = surrogate && (!control || surrogate.index < control.index) ? surrogate : control!;
  const code = `U+${first[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  const what =
    first === surrogate
      ? `a lone UTF-16 surrogate (${code})`
      : code === 'U+0000'
        ? 'NUL (U+0000)'
        : `control character ${code}`;
  return `must be ${ALLOWED[controls]}; found ${what} at index ${first.index}`;
}

/** Options of {@link printable}. */
export interface PrintableOptions {
  /** Control characters allowed (default `'none'`). */
  controls?: AllowedControls;
  /** Prefix of the message, for schemas whose messages name their key (configuration: `dataDir must be …`). */
  what?: string;
}

/**
 * A zod check refusing what {@link printableProblem} refuses, for any string schema (`z.string()`, `z.url()`):
 * `z.string().min(1).check(printable())`. The message says what is allowed and what was found where; the issue's
 * path names the field. Used by every string of the policy language and of the configurations.
 */
export function printable(options: PrintableOptions = {}) {
  const { controls = 'none', what } = options;
  return z.superRefine<string>((v, ctx) => {
    const p = printableProblem(v, controls);
    if (p) ctx.addIssue({ code: 'custom', message: what ? `${what} ${p}` : p, input: v });
  });
}

/**
 * Keys a JavaScript object cannot hold as plain data: `__proto__` would set the prototype (zod's record drops it
 * silently), `constructor`/`prototype` shadow what code reads from objects. Refused wherever a key is a name (M4).
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Why `key` cannot be used as a name, or null. */
export function reservedKeyProblem(key: string, what = 'name'): string | null {
  return RESERVED_KEYS.has(key)
    ? `'${key}' is a reserved ${what} (__proto__, constructor and prototype are not allowed)`
    : null;
}

/**
 * A record whose keys pass `key` and are not reserved: the check runs on the raw input, before zod builds the
 * output object (where `__proto__` would vanish without an error), and names the key.
 */
export function namedRecord<K extends z.ZodType<string>, V extends z.ZodType>(key: K, value: V, what = 'name') {
  return z.preprocess(
    (input, ctx) => {
      if (input && typeof input === 'object' && !Array.isArray(input))
        for (const k of Object.keys(input)) {
          const p = reservedKeyProblem(k, what);
          if (p) ctx.addIssue({ code: 'custom', message: p, path: [k], input });
        }
      return input;
    },
    z.record(key, value),
  );
}

/** Limits of a free-form JSON value. */
export type JsonLimits = {
  /** Deepest nesting of objects/arrays (the value itself is depth 1). */
  maxDepth: number;
  /** Total object keys + array elements over the whole value. */
  maxEntries: number;
  /** Longest string (keys included), in UTF-16 units. */
  maxStringLength: number;
  /** Serialised size in bytes (UTF-8 of JSON.stringify). */
  maxBytes: number;
};

/** Defaults for an inventory (docs/protocol.md): depth 16, 20 000 entries, 64 KiB strings, 256 KiB in all. */
export const INVENTORY_LIMITS: JsonLimits = {
  maxDepth: 16,
  maxEntries: 20_000,
  maxStringLength: 65_536,
  maxBytes: 256 * 1024,
};
/** Defaults for an event's `data`: depth 8, 2 000 entries, 8 KiB strings, 64 KiB in all. */
export const EVENT_DATA_LIMITS: JsonLimits = {
  maxDepth: 8,
  maxEntries: 2_000,
  maxStringLength: 8_192,
  maxBytes: 64 * 1024,
};
/** Defaults for any HTTP JSON body: depth 64, 200 000 entries, 1 MiB strings (size is the route's body limit). */
export const BODY_LIMITS: JsonLimits = {
  maxDepth: 64,
  maxEntries: 200_000,
  maxStringLength: 1_048_576,
  maxBytes: Infinity,
};

/**
 * Walks a JSON value iteratively (no recursion, so a 100 000-deep value cannot overflow the stack) and returns the
 * first problem as `{path, message}`, or null. Checks every string and key with {@link textProblem}, numbers for
 * finiteness, and the limits. Non-JSON values (functions, undefined, bigint) are problems too.
 */
export function jsonProblem(value: unknown, limits: JsonLimits): { path: string; message: string } | null {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: '', depth: 1 }];
  let entries = 0;
  let bytes = 0;
  const at = (path: string) => path || '(value)';
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    if (v === null || typeof v === 'boolean') {
      bytes += 5;
      continue;
    }
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return { path: at(path), message: 'numbers must be finite' };
      bytes += 8;
      continue;
    }
    if (typeof v === 'string') {
      if (v.length > limits.maxStringLength)
        return { path: at(path), message: `string longer than ${limits.maxStringLength} characters` };
      const p = textProblem(v);
      if (p) return { path: at(path), message: `string ${p}` };
      bytes += v.length + 2;
    } else if (typeof v === 'object') {
      if (depth > limits.maxDepth) return { path: at(path), message: `nested deeper than ${limits.maxDepth} levels` };
      if (Array.isArray(v)) {
        entries += v.length;
        if (entries > limits.maxEntries)
          return { path: at(path), message: `more than ${limits.maxEntries} keys and elements in all` };
        for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: `${path}[${i}]`, depth: depth + 1 });
        bytes += 2 + v.length;
      } else {
        const keys = Object.keys(v);
        entries += keys.length;
        if (entries > limits.maxEntries)
          return { path: at(path), message: `more than ${limits.maxEntries} keys and elements in all` };
        for (let i = keys.length - 1; i >= 0; i--) {
          const k = keys[i]!;
          const kp = path
            ? `${path}.${isWellFormed(k) ? k.slice(0, 64) : '?'}`
            : isWellFormed(k)
              ? k.slice(0, 64)
              : '?';
          if (k.length > limits.maxStringLength)
            return { path: at(path), message: `key longer than ${limits.maxStringLength} characters` };
          const p = textProblem(k);
          if (p) return { path: at(kp), message: `key ${p}` };
          stack.push({ v: (v as Record<string, unknown>)[k], path: kp, depth: depth + 1 });
          bytes += k.length + 4;
        }
        bytes += 2;
      }
    } else {
      return { path: at(path), message: `${typeof v} is not a JSON value` };
    }
    // The running estimate is a lower bound of the UTF-8 size; exact size is checked below only when close.
    if (bytes > limits.maxBytes) return { path: at(path), message: `larger than ${limits.maxBytes} bytes` };
  }
  if (Number.isFinite(limits.maxBytes) && bytes * 3 > limits.maxBytes) {
    const size = new TextEncoder().encode(JSON.stringify(value)).length;
    if (size > limits.maxBytes)
      return { path: '(value)', message: `${size} bytes, larger than ${limits.maxBytes} bytes` };
  }
  return null;
}

/**
 * A zod schema for a free-form JSON object (inventory, event data) with bounded depth, entries, strings and size;
 * every string (and key) well-formed Unicode without NUL.
 */
export function boundedJsonObject(limits: JsonLimits) {
  return z.record(z.string(), z.unknown()).superRefine((v, ctx) => {
    const p = jsonProblem(v, limits);
    if (p) ctx.addIssue({ code: 'custom', message: `${p.path}: ${p.message}` });
  });
}
