/**
 * Reading JSON columns back: every stored document is parsed with its schema, so a row written by an older release
 * or edited by hand fails loudly with the row and the field named, instead of travelling on as a wrong type.
 */
import type { z } from 'zod';
import { HomeostatError } from '../../contract/errors.ts';

/** A stored row does not match its schema (a bug, a hand edit or a migration gap): a server-side error. */
export class StoredDataError extends HomeostatError {
  override name = 'StoredDataError';
  constructor(
    public readonly what: string,
    public readonly issues: { path: string; message: string }[],
  ) {
    super(
      `stored ${what} is not valid: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`,
    );
  }
}

/** Parses `value` (a JSON column) with `schema`; `what` names the row, e.g. `rollout 'ro-1' state`. */
export function parseStored<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new StoredDataError(
    what,
    r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
  );
}
