/**
 * The typed Hono client of the control-plane API (`hc<AppType>`, types only — no server code reaches the bundle).
 * Every call the UI makes goes through `client`; `call()` turns its responses into the JSON body typed by the
 * route's contract schema (contract/api/*), or a worded ApiError.
 */
import { hc, type ClientResponse } from 'hono/client';
import type { AppType } from '../../../control-plane/api/app.ts';
import { ApiError, authHeaders, readResponse } from './http.ts';

/** Same-origin client; cookies ride along. */
export const client = hc<AppType>(typeof window === 'undefined' ? 'http://localhost' : window.location.origin, {
  init: { credentials: 'same-origin' },
  headers: () => ({ accept: 'application/json', ...authHeaders() }),
});

/** Awaits a client call and returns its JSON body, or throws ApiError in words (network failures included). */
export async function call<T>(request: Promise<ClientResponse<T, number, string>>, what: string): Promise<T> {
  let res: ClientResponse<T, number, string>;
  try {
    res = await request;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ApiError(`Cannot reach the control plane (${why}). Check that it is running and your network.`, 0);
  }
  return readResponse<T>(res, what);
}
