/** Request parsing with zod: every problem reported at once as a ValidationError. */
import type { Context } from 'hono';
import type { z } from 'zod';
import { ValidationError, zodIssues } from '../../contract/errors.ts';

export async function parseJsonBody<S extends z.ZodType>(c: Context, schema: S, what = 'request body'): Promise<z.infer<S>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new ValidationError([{ path: '', message: 'body must be JSON' }], what);
  }
  return parseWith(schema, body, what);
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new ValidationError(zodIssues(r.error), what);
  return r.data;
}
