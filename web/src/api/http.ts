/**
 * Plain HTTP helpers shared by the typed API client: every non-2xx answer becomes an {@link ApiError} whose
 * message is written for a person (what failed, why, what to do), never swallowed.
 */
import { ErrorBody } from '../../../contract/api/common.ts';

/** One validation problem reported by the API. */
export type Issue = { path: string; message: string };

/**
 * An API call that failed: HTTP status, the API's error type and message, and any validation issues. The message
 * repeats the issues (the API builds its message from them, contract/errors.ts ValidationError); `summary` says what
 * failed without them, for showing above the issue list (components/common.tsx ErrorBox) so each is said once.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  public readonly summary: string;
  constructor(
    message: string,
    public readonly status: number,
    public readonly type: string | null = null,
    public readonly issues: Issue[] = [],
    summary?: string,
  ) {
    super(message);
    this.summary = summary ?? message;
  }
}

/** Builds the ApiError for a failed response from its status and body (the API's {@link ErrorBody}, or text). */
export function errorFromResponse(status: number, body: unknown, what: string): ApiError {
  const parsed = ErrorBody.safeParse(body);
  const type = parsed.success ? parsed.data.error : null;
  const message = parsed.success ? parsed.data.message : typeof body === 'string' ? body.trim() : '';
  const issues: Issue[] = parsed.success ? (parsed.data.issues ?? []) : [];
  const error = worded(status, message ? `: ${message}` : '', what);
  // With issues, the summary leaves out the API's message, which lists them again.
  const summary = issues.length ? worded(status, status === 400 || status === 422 ? ':' : '', what) : undefined;
  return new ApiError(error, status, type, issues, summary);
}

/** What a failed response means for the person, `detail` (the API's message, or nothing) in its place. */
function worded(status: number, detail: string, what: string): string {
  switch (status) {
    case 400:
    case 422:
      return `${what} was rejected${detail}`;
    case 401:
      if (what === 'Signing in') return `Sign-in failed${detail || ': wrong username or password'}.`;
      return 'You are not signed in, or your session expired. Sign in again.';
    case 403:
      return `You may not do this${detail}. Ask an admin for a role that allows it.`;
    case 404:
      return `Not found${detail}.`;
    case 409:
      return `${what} conflicts with the current state${detail}. Reload and try again.`;
    case 429:
    case 503:
      return `The control plane is busy${detail}. Try again in a moment.`;
    default:
      return `${what} failed with HTTP ${status}${detail}.`;
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
