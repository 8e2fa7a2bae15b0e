/** Request parsing with zod: every problem reported at once as a ValidationError. */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { z } from 'zod';
import { ValidationError, zodIssues } from '../../contract/errors.ts';
import { BODY_LIMITS, jsonProblem } from '../../contract/text.ts';

export async function parseJsonBody<S extends z.ZodType>(
  c: Context,
  schema: S,
  what = 'request body',
): Promise<z.infer<S>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new ValidationError([{ path: '', message: 'body must be JSON' }], what);
  }
  // Before the schema: bounded nesting (no deep recursion anywhere after this) and well-formed strings everywhere,
  // so a lone surrogate or NUL can never reach the database through any route.
  const problem = jsonProblem(body, BODY_LIMITS);
  if (problem) throw new ValidationError([problem], what);
  return parseWith(schema, body, what);
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  if (value !== null && typeof value === 'object') {
    const problem = jsonProblem(value, BODY_LIMITS);
    if (problem) throw new ValidationError([problem], what);
  }
  const r = schema.safeParse(value);
  if (!r.success) throw new ValidationError(zodIssues(r.error), what);
  return r.data;
}

/**
 * Route middleware: parses the JSON body with `schema` (parseJsonBody: every problem at once as a ValidationError) and
 * hands it to the handler as `c.req.valid('json')`; `hc<AppType>` callers get `z.input<S>` as the type of `json`.
 */
export function jsonBody<S extends z.ZodType>(schema: S, what = 'request body') {
  return createMiddleware<any, string, { in: { json: z.input<S> }; out: { json: z.output<S> } }>(async (c, next) => {
    c.req.addValidatedData('json', (await parseJsonBody(c, schema, what)) as object);
    await next();
  });
}

/** Query strings as the client sends them: every key optional, every value a string. */
export type QueryInput<S extends z.ZodType> = { [K in keyof z.input<S>]?: string };

/**
 * Route middleware: parses the query string with `schema` into `c.req.valid('query')`; `hc<AppType>` callers get
 * {@link QueryInput} as the type of `query`.
 */
export function queryOf<S extends z.ZodType>(schema: S, what = 'query') {
  return createMiddleware<any, string, { in: { query: QueryInput<S> }; out: { query: z.output<S> } }>(
    async (c, next) => {
      c.req.addValidatedData('query', parseWith(schema, c.req.query(), what) as object);
      await next();
    },
  );
}
