/**
 * Response typing: every route builds its JSON body as the type of its contract schema (contract/api/*), so the
 * server and the web UI (through `hc<AppType>`) share one definition of each response. Checked by the compiler, at
 * no cost per request; test/integration/typed-client.test.ts parses every answer with the same schemas.
 */
import type { z } from 'zod';

/** `body`, typed as the output of `schema` (a compile-time check: a missing or mistyped field does not build). */
export function shaped<S extends z.ZodType>(_schema: S, body: z.output<S>): z.output<S> {
  return body;
}

/** ISO string of a Date, or null. */
export const isoOrNull = (d: Date | null): string | null => (d ? d.toISOString() : null);
