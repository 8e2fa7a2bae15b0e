/**
 * What a state-changing request said, for its audit entry, so that the audit log's free-text search finds a host
 * action by the host's name and an operator's reason: the JSON body's fields (secret-named keys and URL passwords
 * masked, contract/redact.ts; long strings cut), and for `/api/hosts/<id>/…` the host's name. A body whose fields
 * would take more than {@link MAX_DETAIL_CHARS} keeps only its short scalar fields (a policy's source is in its
 * version, not the audit log).
 */
import type { Context } from 'hono';
import { redactForMessage } from '../../contract/redact.ts';

/** At most this many characters of JSON per audited request body. */
export const MAX_DETAIL_CHARS = 2048;
const MAX_STRING = 200;

/** The audit detail of request `c` (answered with `status`); `hostnameOf` names the host of a host route. */
export async function requestDetail(
  c: Context,
  status: number,
  hostnameOf?: (id: string) => Promise<string | null>,
): Promise<Record<string, unknown>> {
  const detail: Record<string, unknown> = { status };
  const host = /^\/api\/hosts\/([^/]+)/.exec(c.req.path)?.[1];
  if (host && hostnameOf) {
    const name = await hostnameOf(decodeURIComponent(host)).catch(() => null);
    if (name) detail.hostname = name;
  }
  // Refused requests' bodies were not accepted (and may be oversized); only JSON is read back (Hono caches it).
  if (status >= 400 || !(c.req.header('content-type') ?? '').includes('application/json')) return detail;
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return detail;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return detail;
  const fields = cut(redactForMessage('body', body)) as Record<string, unknown>;
  const small =
    JSON.stringify(fields).length <= MAX_DETAIL_CHARS
      ? fields
      : Object.fromEntries(Object.entries(fields).filter(([, v]) => v === null || typeof v !== 'object'));
  return { ...small, ...detail };
}

/** Strings longer than {@link MAX_STRING} cut with an ellipsis, inside objects and arrays too. */
function cut(v: unknown): unknown {
  if (typeof v === 'string') return v.length > MAX_STRING ? `${v.slice(0, MAX_STRING)}…` : v;
  if (Array.isArray(v)) return v.map(cut);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cut(x)]));
  return v;
}
