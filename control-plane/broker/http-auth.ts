/**
 * HTTP authentication and ACL for an external broker that asks a web service (EMQX's HTTP authenticator and
 * authorizer, mosquitto-go-auth's HTTP backend, VerneMQ through a small webhook adapter): the same rules the embedded
 * broker enforces (authenticate.ts, authorize.ts), answered over HTTP.
 *
 *   POST /api/broker/auth  {clientid, username, password}             → 200 {result:"allow", is_superuser} | 403 deny
 *   POST /api/broker/acl   {clientid, username, topic, action|acc}    → 200 {result:"allow"} | 403 {result:"deny"}
 *
 * `action` is `publish` or `subscribe` (EMQX); `acc` is mosquitto-go-auth's 1 read, 2 write, 3 read+write,
 * 4 subscribe. The broker authenticates itself with `Authorization: Bearer <broker.httpAuthSecret>`; without it every
 * call is 401. The control plane's own client (`broker.username`/`broker.password`) is the superuser.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { Hono } from 'hono';
import { TOPIC_ROOT } from '../../contract/protocol/index.ts';
import type { Counters } from '../metrics/counters.ts';
import type { Authenticator } from './authenticate.ts';
import { authorizeAgentPublish, authorizeAgentSubscribe } from './authorize.ts';

export type HttpAuthOptions = {
  secret: string;
  authenticator: Authenticator;
  counters: Counters;
  /** The control plane's own broker credentials: allowed everything. */
  superuser?: { username: string; password: string } | undefined;
};

type Decision = { allow: true; superuser?: boolean } | { allow: false; reason: string };

const same = (a: string, b: string) => {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
};

const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;

/** The ACL decision for one (agent, topic, access); pure. `access`: publish, subscribe or read (delivery). */
export function aclDecision(
  username: string,
  clientId: string | undefined,
  topic: string,
  access: 'publish' | 'subscribe' | 'read',
): Decision {
  if (clientId !== undefined && clientId !== username) return { allow: false, reason: 'client-id-mismatch' };
  if (access === 'publish') {
    const r = authorizeAgentPublish(username, topic);
    return r.ok ? { allow: true } : { allow: false, reason: r.reason };
  }
  if (access === 'subscribe') {
    const r = authorizeAgentSubscribe(username, topic);
    return r.ok ? { allow: true } : { allow: false, reason: r.reason };
  }
  // Delivery: never another agent's messages (the embedded broker's authorizeForward).
  if (topic.startsWith(`${TOPIC_ROOT}/agents/`)) return { allow: false, reason: 'agent-topic' };
  const r = authorizeAgentSubscribe(username, topic);
  return r.ok ? { allow: true } : { allow: false, reason: r.reason };
}

function accessOf(body: Record<string, unknown>): 'publish' | 'subscribe' | 'read' | null {
  const action = str(body.action);
  if (action === 'publish' || action === 'subscribe') return action;
  switch (str(body.acc)) {
    case '1':
      return 'read';
    case '2':
      return 'publish';
    case '3':
      return 'publish'; // read+write: the stricter of the two for an agent is publish
    case '4':
      return 'subscribe';
  }
  return null;
}

/** The two routes as a Hono sub-app; mount at `/`. */
export function httpAuthRoutes(o: HttpAuthOptions): Hono {
  const app = new Hono();
  const answer = (c: import('hono').Context, kind: 'auth' | 'acl', d: Decision) => {
    o.counters.inc(`broker.http.${kind}.${d.allow ? 'allowed' : 'denied'}`);
    return d.allow
      ? c.json({ result: 'allow', is_superuser: d.superuser ?? false }, 200)
      : c.json({ result: 'deny', reason: d.reason }, 403);
  };
  app.use('/api/broker/*', async (c, next) => {
    const h = c.req.header('authorization') ?? '';
    if (!h.startsWith('Bearer ') || !same(h.slice(7), o.secret)) {
      o.counters.inc('broker.http.unauthorized');
      return c.json({ error: 'broker hook: missing or wrong Authorization: Bearer <broker.httpAuthSecret>' }, 401);
    }
    await next();
  });
  const bodyOf = async (c: import('hono').Context): Promise<Record<string, unknown> | null> => {
    const type = c.req.header('content-type') ?? '';
    try {
      const b = type.includes('application/x-www-form-urlencoded') ? await c.req.parseBody() : await c.req.json();
      return b && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  };
  app.post('/api/broker/auth', async (c) => {
    const b = await bodyOf(c);
    if (!b) return c.json({ error: 'body must be a JSON object or a form' }, 400);
    const username = str(b.username);
    const password = str(b.password);
    const clientId = str(b.clientid) ?? str(b.clientId) ?? username ?? '';
    if (username && password && o.superuser && username === o.superuser.username)
      return answer(
        c,
        'auth',
        same(password, o.superuser.password)
          ? { allow: true, superuser: true }
          : { allow: false, reason: 'bad-secret' },
      );
    const r = await o.authenticator.authenticate(clientId, username, password ? Buffer.from(password) : undefined);
    // The in-process client of the embedded broker does not exist here.
    return answer(
      c,
      'auth',
      r.ok && r.agentId ? { allow: true } : { allow: false, reason: r.ok ? 'internal' : r.reason },
    );
  });
  app.post('/api/broker/acl', async (c) => {
    const b = await bodyOf(c);
    if (!b) return c.json({ error: 'body must be a JSON object or a form' }, 400);
    const username = str(b.username) ?? '';
    const topic = str(b.topic);
    const access = accessOf(b);
    if (!topic || !access)
      return c.json({ error: 'topic and action (publish|subscribe) or acc (1|2|3|4) needed' }, 400);
    if (o.superuser && username === o.superuser.username) return answer(c, 'acl', { allow: true, superuser: true });
    const clientId = str(b.clientid) ?? str(b.clientId);
    // A revoked agent's session may outlive its revocation on such a broker: every later ACL check refuses it.
    if (o.authenticator.isRevoked(username)) return answer(c, 'acl', { allow: false, reason: 'revoked' });
    return answer(c, 'acl', aclDecision(username, clientId, topic, access));
  });
  return app;
}
