/**
 * Request body limits, enforced before any route reads a body (Hono's bodyLimit: a declared Content-Length over the
 * limit is refused unread; a chunked body is counted as it streams and refused at the limit, never buffered beyond).
 * Small on the unauthenticated routes (login, enroll), large only where uploads are expected (models), a moderate
 * default elsewhere. The answer is 413 with a JSON body naming the limit.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/** Limits in bytes; defaults: 64 KiB unauthenticated, 2 MiB default, 65 MiB model uploads (64 MiB model + form),
 * 257 MiB agent version uploads (control-plane/fleet/agent-versions.ts: 256 MiB artifact + signature + form). */
export type BodyLimits = { unauthenticated: number; default: number; modelUpload: number; agentUpload: number };

export const DEFAULT_BODY_LIMITS: BodyLimits = {
  unauthenticated: 64 * 1024,
  default: 2 * 1024 * 1024,
  modelUpload: 65 * 1024 * 1024,
  agentUpload: 257 * 1024 * 1024,
};

/** Routes anyone may call: their bodies are read before any credential is checked. */
const UNAUTHENTICATED = new Set(['/api/auth/login', '/api/auth/logout', '/api/session', '/api/enroll']);

/** The limit of one request: which routes get which bound. */
export function bodyLimitFor(
  method: string,
  path: string,
  limits: BodyLimits = DEFAULT_BODY_LIMITS,
): { bytes: number; kind: keyof BodyLimits } {
  const p = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (UNAUTHENTICATED.has(p)) return { bytes: limits.unauthenticated, kind: 'unauthenticated' };
  if (method === 'POST' && p === '/api/models') return { bytes: limits.modelUpload, kind: 'modelUpload' };
  if (method === 'POST' && p === '/api/agent-versions') return { bytes: limits.agentUpload, kind: 'agentUpload' };
  return { bytes: limits.default, kind: 'default' };
}

function human(bytes: number): string {
  return bytes % (1024 * 1024) === 0
    ? `${bytes / (1024 * 1024)} MiB`
    : bytes % 1024 === 0
      ? `${bytes / 1024} KiB`
      : `${bytes} bytes`;
}

/** The middleware; mount it first (`app.use('*', …)`), before authentication. */
export function createBodyLimit(limits: Partial<BodyLimits> = {}): MiddlewareHandler {
  const l: BodyLimits = { ...DEFAULT_BODY_LIMITS, ...limits };
  const byBytes = new Map<number, MiddlewareHandler>();
  const handlerFor = (bytes: number) => {
    let h = byBytes.get(bytes);
    if (!h) {
      h = bodyLimit({
        maxSize: bytes,
        onError: (c) =>
          c.json(
            {
              error: 'payload-too-large',
              message: `request body larger than ${human(bytes)} (the limit of ${c.req.method} ${c.req.path})`,
              limit: bytes,
            },
            413,
          ),
      });
      byBytes.set(bytes, h);
    }
    return h;
  };
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS') return next();
    return handlerFor(bodyLimitFor(c.req.method, c.req.path, l).bytes)(c, next);
  };
}
