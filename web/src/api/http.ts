/**
 * Plain HTTP helpers shared by the typed API client: every non-2xx answer becomes an {@link ApiError} whose
 * message is written for a person (what failed, why, what to do), never swallowed.
 */
import { ErrorBody } from '../../../contract/api/common.ts';

/** One validation problem reported by the API. */
export type Issue = { path: string; message: string };

/** An API call that failed: HTTP status, the API's error type and message, and any validation issues. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    message: string,
    public readonly status: number,
    public readonly type: string | null = null,
    public readonly issues: Issue[] = [],
  ) {
    super(message);
  }
}

/** Builds the ApiError for a failed response from its status and body (the API's {@link ErrorBody}, or text). */
export function errorFromResponse(status: number, body: unknown, what: string): ApiError {
  const parsed = ErrorBody.safeParse(body);
  const type = parsed.success ? parsed.data.error : null;
  const message = parsed.success ? parsed.data.message : typeof body === 'string' ? body.trim() : '';
  const issues: Issue[] = parsed.success ? (parsed.data.issues ?? []) : [];
  const detail = message ? `: ${message}` : '';
  switch (status) {
    case 400:
    case 422:
      return new ApiError(`${what} was rejected${detail}`, status, type, issues);
    case 401:
      if (what === 'Signing in')
        return new ApiError(`Sign-in failed${detail || ': wrong username or password'}.`, status, type, issues);
      return new ApiError('You are not signed in, or your session expired. Sign in again.', status, type, issues);
    case 403:
      return new ApiError(
        `You may not do this${detail}. Ask an admin for a role that allows it.`,
        status,
        type,
        issues,
      );
    case 404:
      return new ApiError(`Not found${detail}.`, status, type, issues);
    case 409:
      return new ApiError(
        `${what} conflicts with the current state${detail}. Reload and try again.`,
        status,
        type,
        issues,
      );
    case 429:
    case 503:
      return new ApiError(`The control plane is busy${detail}. Try again in a moment.`, status, type, issues);
    default:
      return new ApiError(`${what} failed with HTTP ${status}${detail}.`, status, type, issues);
  }
}

/** What readResponse needs of a response (a fetch Response or the typed client's ClientResponse). */
export type ResponseLike = Pick<Response, 'ok' | 'status' | 'text' | 'headers'>;

/** Reads a response: parsed JSON (or null for empty bodies) on 2xx, an {@link ApiError} otherwise. */
export async function readResponse<T>(res: ResponseLike, what = 'The request'): Promise<T> {
  const text = await res.text();
  let body: unknown = text;
  if (text && (res.headers.get('content-type') ?? '').includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (!res.ok) throw errorFromResponse(res.status, body, what);
  return (text === '' ? null : body) as T;
}

const TOKEN_KEY = 'homeostat.apiToken';

/** The API token signed in with (kept for this tab only), or null when the session cookie is used. */
export function apiToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}
export function setApiToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}
/** Authorization header for the signed-in API token, if any. */
export function authHeaders(): Record<string, string> {
  const t = apiToken();
  return t ? { authorization: `Bearer ${t}` } : {};
}

/** Words for any thrown value, for showing to the person. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
