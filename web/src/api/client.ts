/**
 * The typed Hono client of the control-plane API (`hc<AppType>`, types only — no server code reaches the bundle).
 * `call()` turns its responses into JSON or a worded ApiError, like every other call in api/api.ts.
 */
import { hc, type ClientResponse } from 'hono/client';
import type { AppType } from '../../../control-plane/api/app.ts';
import { ApiError, authHeaders, readResponse } from './http.ts';

/** Same-origin client; cookies ride along. */
export const client = hc<AppType>(typeof window === 'undefined' ? 'http://localhost' : window.location.origin, {
  init: { credentials: 'same-origin' },
  headers: () => authHeaders(),
});

/** Awaits a client call and returns its JSON body, or throws ApiError in words (network failures included). */
export async function call<T>(request: Promise<ClientResponse<T, number, string>>, what: string): Promise<T> {
  let res: Response;
  try {
    res = (await request) as unknown as Response;
  } catch (err) {
    throw new ApiError(`Cannot reach the control plane (${err instanceof Error ? err.message : String(err)}). Check that it is running and your network.`, 0);
  }
  return readResponse<T>(res, what);
}
