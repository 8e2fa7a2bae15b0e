/**
 * Canonical JSON: the exact bytes that get signed. Object keys sorted by UTF-16 code unit, no whitespace, arrays in
 * order, `undefined` object members omitted (as JSON.stringify does). Non-finite numbers, `undefined` at top level or in
 * arrays, functions, symbols and bigints are refused: a signature must never cover a lossy encoding.
 */
import { ValidationError } from '../errors.ts';

/** Returns the canonical JSON text of `value`; throws ValidationError naming the path of an unencodable member. */
export function canonicalJson(value: unknown): string {
  return encode(value, '');
}

function encode(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw unencodable(path, `non-finite number ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v, i) => encode(v, `${path}[${i}]`)).join(',')}]`;
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      const keys = Object.keys(value).sort();
      const parts: string[] = [];
      for (const k of keys) {
        const v = (value as Record<string, unknown>)[k];
        if (v === undefined) continue;
        parts.push(`${JSON.stringify(k)}:${encode(v, path ? `${path}.${k}` : k)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw unencodable(path, `${typeof value} is not JSON`);
  }
}

function unencodable(path: string, message: string): ValidationError {
  return new ValidationError([{ path, message }], 'canonical JSON');
}
