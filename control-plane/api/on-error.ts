/** Domain errors → HTTP, in exactly one place (`app.onError`). Body: `{ error, message, ... }`. */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  OverloadedError,
  TooManyAttemptsError,
  UnauthenticatedError,
  ValidationError,
} from '../../contract/errors.ts';

export function createOnError(log: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof ValidationError)
      return c.json({ error: 'validation', message: err.message, issues: err.issues }, 400);
    if (err instanceof UnauthenticatedError) return c.json({ error: 'unauthenticated', message: err.message }, 401);
    if (err instanceof ForbiddenError)
      return c.json({ error: 'forbidden', message: err.message, role: err.role, needed: err.needed }, 403);
    if (err instanceof NotFoundError)
      return c.json({ error: 'not-found', message: err.message, kind: err.kind, id: err.id }, 404);
    if (err instanceof ConflictError)
      return c.json({ error: 'conflict', message: err.message, reason: err.reason }, 409);
    if (err instanceof TooManyAttemptsError)
      return c.json(
        { error: 'too-many-attempts', message: err.message, retryAfterSeconds: err.retryAfterSeconds },
        429,
        { 'retry-after': String(err.retryAfterSeconds) },
      );
    if (err instanceof OverloadedError) return c.json({ error: 'overloaded', message: err.message }, 503);
    if (err instanceof HTTPException) return c.json({ error: 'http', message: err.message }, err.status);
    log.error({ err, path: c.req.path }, 'unhandled API error');
    return c.json({ error: 'internal', message: 'internal error' }, 500);
  };
}
