/**
 * THE route → role table: every HTTP route of the control plane and who may call it. The access middleware looks
 * each request up here; `/api/*` routes missing from the table need admin (deny by default), other paths (web UI
 * assets) are public. `public` needs no credentials; `agent` needs an agent's Basic credentials (or an admin).
 */
import type { Role } from './roles.ts';

/** Who may call a route. */
export type Access = Role | 'public' | 'agent';

/** [method, path pattern (`:param` = one segment), access]. */
export const ROUTE_ROLES: readonly (readonly [string, string, Access])[] = [
  // core
  ['GET', '/healthz', 'public'],
  ['POST', '/api/enroll', 'public'],
  // the external broker's HTTP auth/ACL hook: its own bearer secret (broker/http-auth.ts), not a user's
  ['POST', '/api/broker/auth', 'public'],
  ['POST', '/api/broker/acl', 'public'],
  ['GET', '/api/hosts', 'viewer'],
  ['GET', '/api/hosts/:id', 'viewer'],
  ['GET', '/api/hosts/:id/samples', 'viewer'],
  ['GET', '/api/hosts/:id/events', 'viewer'],
  ['GET', '/api/hosts/:id/series', 'viewer'],
  ['GET', '/api/hosts/:id/loss', 'viewer'],
  ['GET', '/api/events', 'viewer'],
  ['POST', '/api/hosts/:id/revoke', 'admin'],
  ['PUT', '/api/hosts/:id/labels', 'admin'],
  // cordon (no new rollout waves; docs/fleet.md "Cordoned hosts"): an operator's call, as halting a rollout
  ['POST', '/api/hosts/:id/cordon', 'operator'],
  ['POST', '/api/hosts/:id/uncordon', 'operator'],
  ['POST', '/api/hosts/:id/rotate-secret', 'admin'],
  ['GET', '/api/tokens', 'admin'],
  ['POST', '/api/tokens', 'admin'],
  ['DELETE', '/api/tokens/:id', 'admin'],
  ['GET', '/api/enrollment/install', 'admin'],
  // agent installation (docs/agent-install.md): nothing secret, served to servers that have no credentials yet
  ['GET', '/install.sh', 'public'],
  ['GET', '/downloads/:file', 'public'],
  ['GET', '/api/metrics', 'viewer'],
  ['GET', '/api/stream', 'viewer'],
  ['GET', '/metrics', 'viewer'],
  // access
  ['POST', '/api/auth/login', 'public'],
  ['POST', '/api/auth/logout', 'public'],
  ['GET', '/api/auth/me', 'viewer'],
  ['POST', '/api/session', 'public'],
  ['DELETE', '/api/session', 'public'],
  ['GET', '/api/session', 'viewer'],
  ['GET', '/api/api-tokens', 'viewer'],
  ['POST', '/api/api-tokens', 'viewer'],
  ['DELETE', '/api/api-tokens/:id', 'viewer'],
  ['GET', '/api/users', 'admin'],
  ['POST', '/api/users', 'admin'],
  ['PATCH', '/api/users/:id', 'admin'],
  ['DELETE', '/api/users/:id', 'admin'],
  ['POST', '/api/users/:id/tokens', 'admin'],
  ['GET', '/api/audit', 'operator'],
  ['GET', '/api/audit/export', 'admin'],
  // policies and rollouts
  ['GET', '/api/policies', 'viewer'],
  ['POST', '/api/policies', 'operator'],
  ['GET', '/api/policies/:id', 'viewer'],
  ['PUT', '/api/policies/:id', 'operator'],
  ['GET', '/api/policies/:id/versions', 'viewer'],
  ['POST', '/api/policies/:id/versions', 'operator'],
  ['POST', '/api/policies/:id/dry-run', 'operator'],
  ['GET', '/api/policies/:id/versions/:version', 'viewer'],
  ['POST', '/api/policies/:id/publish', 'operator'],
  ['POST', '/api/policies/:id/rollback', 'operator'],
  ['GET', '/api/rollouts', 'viewer'],
  ['GET', '/api/rollouts/:id', 'viewer'],
  ['POST', '/api/rollouts/:id/halt', 'operator'],
  ['POST', '/api/rollouts/:id/rollback', 'operator'],
  ['POST', '/api/rollouts/:id/resume', 'operator'],
  ['GET', '/api/rollouts/:id/comparison', 'viewer'],
  ['GET', '/api/fleet/hosts', 'viewer'],
  // models
  ['GET', '/api/models', 'viewer'],
  ['POST', '/api/models', 'admin'],
  ['GET', '/api/models/:id', 'viewer'],
  ['GET', '/api/models/:id/file', 'agent'],
  ['POST', '/api/models/:id/publish', 'operator'],
  // agent versions (control-plane/fleet/agent-versions.ts): uploading and rolling out the agent itself is admin-only
  ['GET', '/api/agent-versions', 'viewer'],
  ['POST', '/api/agent-versions', 'admin'],
  ['GET', '/api/agent-versions/:version', 'viewer'],
  ['POST', '/api/agent-versions/:version/publish', 'admin'],
  // refits from the fleet's own data (background jobs that register a model): admin, as uploads
  ['GET', '/api/model-refits', 'admin'],
  ['POST', '/api/model-refits', 'admin'],
  ['GET', '/api/model-refits/:id', 'admin'],
  // incidents, silences, approvals, notifications
  ['GET', '/api/incidents', 'viewer'],
  ['GET', '/api/incidents/:id', 'viewer'],
  ['POST', '/api/incidents/:id/ack', 'operator'],
  ['POST', '/api/incidents/:id/notes', 'operator'],
  ['POST', '/api/incidents/:id/annotate', 'operator'],
  ['POST', '/api/incidents/:id/resolve', 'operator'],
  ['POST', '/api/incidents/:id/assign', 'operator'],
  ['GET', '/api/silences', 'viewer'],
  ['POST', '/api/silences', 'operator'],
  ['DELETE', '/api/silences/:id', 'operator'],
  ['GET', '/api/approvals', 'viewer'],
  ['POST', '/api/approvals/:id/decide', 'operator'],
  ['POST', '/api/approvals/:id/approve', 'operator'],
  ['POST', '/api/approvals/:id/deny', 'operator'],
  ['GET', '/api/webhooks', 'admin'],
  ['POST', '/api/webhooks', 'admin'],
  ['DELETE', '/api/webhooks/:id', 'admin'],
  ['POST', '/api/webhooks/:id/rotate-secret', 'admin'],
  ['POST', '/api/webhooks/:id/test', 'admin'],
];

const compiled = ROUTE_ROLES.map(([method, pattern, access]) => ({
  method,
  pattern,
  access,
  re: new RegExp(`^${pattern.replace(/:[A-Za-z]+/g, '[^/]+')}/?$`),
}));

/** The access rule for a request; `/api/*` paths not in the table → admin, anything else → public. */
export function accessFor(method: string, path: string): { access: Access; pattern: string | null } {
  const m = method === 'HEAD' ? 'GET' : method;
  const hit = compiled.find((r) => r.method === m && r.re.test(path));
  if (hit) return { access: hit.access, pattern: hit.pattern };
  return {
    access: path === '/api' || path.startsWith('/api/') || path === '/metrics' ? 'admin' : 'public',
    pattern: null,
  };
}
