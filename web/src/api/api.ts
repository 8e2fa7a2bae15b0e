/**
 * Every API call the UI makes, one function per route, returning the UI's types (api/types.ts). Failures throw
 * ApiError with words for the person. Query keys live in `keys` so live events can invalidate the right queries.
 */
import { ApiError, apiToken, errorFromResponse, getJson, sendJson, setApiToken } from './http.ts';
import { call, client } from './client.ts';
import { list, num, numbers, obj, record, str, strOrNull, strings, time } from './normalize.ts';
import type {
  ApiToken, Approval, AuditEntry, CreatedApiToken, CreatedEnrollToken, EnrollToken, Host, HostDetail, HostEvent, Incident,
  IncidentStatus, Model, Policy, PolicyVersion, Rollout, Sample, Session, User,
} from './types.ts';

const enc = encodeURIComponent;

/** Adds query parameters to a client call whose route validates them itself (so its type does not list them). */
function withQuery<A extends object>(args: A, query: Record<string, string>): A {
  return { ...args, query } as A;
}

/** TanStack Query keys, by resource. */
export const keys = {
  session: ['session'] as const,
  hosts: ['hosts'] as const,
  host: (id: string) => ['hosts', id] as const,
  samples: (id: string) => ['hosts', id, 'samples'] as const,
  events: (id: string) => ['hosts', id, 'events'] as const,
  incidents: ['incidents'] as const,
  incident: (id: string) => ['incidents', id] as const,
  policies: ['policies'] as const,
  policyVersions: (name: string) => ['policies', name, 'versions'] as const,
  rollouts: ['rollouts'] as const,
  models: ['models'] as const,
  approvals: ['approvals'] as const,
  enrollTokens: ['enroll-tokens'] as const,
  users: ['users'] as const,
  apiTokens: ['api-tokens'] as const,
  audit: (target?: string) => ['audit', target ?? ''] as const,
};

// ---- normalisers -------------------------------------------------------------------------------------------------

export function toHost(v: unknown): Host {
  const h = obj(v);
  const scores = obj(h.scores ?? obj(h.latest).scores);
  const anomaly = num(h.anomaly ?? h.anomalyScore ?? obj(scores.anomaly).score ?? obj(h.health).anomaly);
  return {
    id: str(h.id),
    hostname: str(h.hostname ?? h.name ?? h.id),
    labels: record(h.labels),
    online: h.online === true || h.state === 'online' || h.presence === 'online',
    lastSeen: time(h.lastSeen),
    lastSampleAt: time(h.lastSampleAt),
    agentVersion: strOrNull(h.agentVersion),
    policyVersion: strOrNull(h.appliedPolicyVersion ?? h.policyVersion),
    models: record(h.appliedModels ?? h.models),
    anomaly,
    openIncidents: num(h.openIncidents ?? h.incidents) ?? 0,
    stateErrors: strings(h.stateErrors),
    revoked: h.revokedAt !== null && h.revokedAt !== undefined,
  };
}

export function toSample(v: unknown): Sample {
  const s = obj(v);
  const scores = obj(s.scores);
  const an = obj(scores.anomaly);
  return {
    ts: time(s.ts) ?? 0,
    features: numbers(s.features),
    anomaly: num(an.score ?? s.anomaly),
    top: list(an.top).map((c) => ({ feature: str(obj(c).feature), contribution: num(obj(c).contribution) ?? 0, ratio: num(obj(c).ratio) })),
    disks: list(scores.disks).map((d) => {
      const o = obj(d);
      return { device: str(o.device), serial: strOrNull(o.serial) ?? undefined, probability: num(o.probability) ?? 0, model: str(o.model) };
    }),
  } as Sample;
}

function toEvent(v: unknown): HostEvent {
  const e = obj(v);
  const sev = str(e.severity, 'info');
  return {
    hostId: str(e.hostId),
    seq: num(e.seq) ?? 0,
    ts: time(e.ts) ?? 0,
    type: str(e.type),
    severity: sev === 'warning' || sev === 'critical' ? sev : 'info',
    message: strOrNull(e.message),
    data: obj(e.data),
  };
}

function toIncident(v: unknown): Incident {
  const i = obj(v);
  const rc = obj(i.rootCause ?? i.cause);
  const raw = str(i.status ?? i.state, 'open');
  const st = raw === 'open' && i.acknowledged ? 'acknowledged' : raw;
  return {
    id: str(i.id),
    title: str(i.title ?? i.summary ?? i.id),
    status: (st === 'acknowledged' || st === 'resolved' ? st : 'open') as IncidentStatus,
    severity: str(i.severity, 'warning'),
    openedAt: time(i.openedAt ?? i.createdAt) ?? 0,
    updatedAt: time(i.updatedAt ?? i.openedAt ?? i.createdAt) ?? 0,
    hosts: strings(i.hosts ?? i.hostIds),
    rootCause: Object.keys(rc).length
      ? { hint: str(rc.hint ?? rc.label ?? rc.kind), explanation: str(rc.explanation ?? rc.detail), confidence: num(rc.confidence) }
      : null,
    timeline: list(i.timeline ?? i.notes).map((t) => {
      const o = obj(t);
      return { ts: time(o.ts ?? o.at) ?? 0, kind: str(o.kind ?? o.type), text: str(o.text ?? o.message ?? o.note), by: strOrNull(o.by ?? o.actor) };
    }),
    rollouts: list(i.rollouts ?? i.relatedRollouts).map((r) => {
      const o = obj(r);
      return { id: str(o.id), kind: str(o.kind), version: str(o.version) };
    }),
  };
}

function toRollout(v: unknown): Rollout {
  const r = obj(v);
  return {
    id: str(r.id),
    kind: r.kind === 'model' ? 'model' : 'policy',
    subject: str(r.subject ?? r.policy ?? r.name ?? r.model),
    version: str(r.version),
    state: str(r.state ?? r.status),
    createdAt: time(r.createdAt) ?? 0,
    wave: num(r.wave) ?? -1,
    waves: list(r.waves).map((w, index) => {
      if (Array.isArray(w)) return { index, hostIds: strings(w), hosts: w.length, acked: null, failed: 0, state: '' };
      const o = obj(w);
      const hostIds = strings(o.hostIds ?? o.hosts);
      return {
        index: num(o.index) ?? index,
        hostIds,
        hosts: num(o.total ?? o.hosts) ?? hostIds.length,
        acked: num(o.acked),
        failed: num(o.failed) ?? 0,
        state: str(o.state ?? o.status),
      };
    }),
    previousVersion: strOrNull(r.previousVersion),
    selector: str(r.selector),
    history: list(r.history).map((h) => {
      const o = obj(h);
      return { at: time(o.at ?? o.ts) ?? 0, event: str(o.event), detail: strOrNull(o.detail) };
    }),
  };
}

function toApproval(v: unknown): Approval {
  const a = obj(v);
  return {
    id: str(a.id),
    hostId: str(a.hostId),
    action: str(a.action),
    reason: strOrNull(a.reason),
    state: (str(a.state ?? a.status, 'pending') as Approval['state']),
    requestedAt: time(a.requestedAt ?? a.createdAt) ?? 0,
    context: obj(a.context),
    decidedBy: strOrNull(a.decidedBy),
    decisionReason: strOrNull(a.decisionReason),
  };
}

function toEnrollToken(v: unknown): EnrollToken {
  const t = obj(v);
  return {
    id: str(t.id),
    labels: record(t.labels),
    maxUses: num(t.maxUses) ?? 1,
    usesLeft: num(t.usesLeft) ?? 0,
    expiresAt: time(t.expiresAt) ?? 0,
    revoked: t.revokedAt !== null && t.revokedAt !== undefined,
    createdAt: time(t.createdAt) ?? 0,
  };
}

// ---- calls -------------------------------------------------------------------------------------------------------

export const api = {
  /** Who is signed in (session cookie or the tab's API token) and with which role; null when nobody is. */
  async session(): Promise<Session | null> {
    const s = obj(await getJson('/api/session', 'Loading your session'));
    const u = obj(s.user ?? s);
    return u.username ? { username: str(u.username), role: str(u.role, 'viewer'), via: apiToken() ? 'token' : 'password' } : null;
  },
  /** Signs in with an API token (`hat_…`), kept for this browser tab. */
  async loginWithToken(token: string): Promise<Session> {
    setApiToken(token.trim());
    try {
      const s = await api.session();
      if (!s) throw new ApiError('Sign-in failed: the token does not belong to a user.', 401);
      return s;
    } catch (err) {
      setApiToken(null);
      if (err instanceof ApiError && err.status === 401) throw new ApiError(`Sign-in failed: ${err.message.includes('not valid') ? err.message : 'API token is not valid'}.`, 401);
      throw err;
    }
  },
  /** Password sign-in: the control plane sets an HTTP-only session cookie. */
  async login(username: string, password: string): Promise<Session> {
    setApiToken(null);
    await sendJson('POST', '/api/session', { username, password }, 'Signing in');
    const s = await api.session();
    if (!s) throw new ApiError('Signed in, but the control plane does not recognise the session. Try again.', 401);
    return s;
  },
  async logout(): Promise<void> {
    if (apiToken()) return setApiToken(null);
    await sendJson('DELETE', '/api/session', undefined, 'Signing out');
  },

  async hosts(): Promise<Host[]> {
    return list(await call(client.api.hosts.$get(), 'Loading hosts'), 'hosts').map(toHost);
  },
  async host(id: string): Promise<HostDetail> {
    const raw = obj(await call(client.api.hosts[':id'].$get({ param: { id } }), `Loading host ${id}`));
    const h = obj(raw.host ?? raw);
    return { ...toHost(h), inventory: h.inventory ? obj(h.inventory) : null, enrolledAt: time(h.enrolledAt) };
  },
  async samples(id: string, since: number, until?: number): Promise<Sample[]> {
    const query = { since: String(since), limit: '5000', ...(until !== undefined ? { until: String(until) } : {}) };
    return list(await call(client.api.hosts[':id'].samples.$get(withQuery({ param: { id } }, query)), 'Loading samples'), 'samples').map(toSample);
  },
  async events(id: string): Promise<HostEvent[]> {
    return list(await call(client.api.hosts[':id'].events.$get(withQuery({ param: { id } }, { limit: '500' })), 'Loading events'), 'events').map(toEvent).sort((a, b) => b.ts - a.ts);
  },

  async incidents(): Promise<Incident[]> {
    return list(await getJson('/api/incidents', 'Loading incidents'), 'incidents').map(toIncident);
  },
  async incident(id: string): Promise<Incident> {
    const raw = obj(await getJson(`/api/incidents/${enc(id)}`, `Loading incident ${id}`));
    return toIncident(raw.incident ?? raw);
  },
  async incidentAction(id: string, action: 'ack' | 'annotate' | 'resolve', note?: string): Promise<void> {
    await sendJson('POST', `/api/incidents/${enc(id)}/${action}`, note !== undefined ? { note } : {}, `Updating incident ${id}`);
  },

  async policies(): Promise<Policy[]> {
    return list(await getJson('/api/policies', 'Loading policies'), 'policies').map((p) => {
      const o = obj(p);
      return {
        name: str(o.name ?? o.id),
        latestVersion: num(o.latestVersion ?? o.version),
        publishedVersion: num(o.publishedVersion),
        selector: strOrNull(o.selector),
        updatedAt: time(o.updatedAt),
      };
    });
  },
  async policyVersions(name: string): Promise<PolicyVersion[]> {
    return list(await getJson(`/api/policies/${enc(name)}/versions`, `Loading versions of ${name}`), 'versions').map((v) => {
      const o = obj(v);
      return { version: num(o.version) ?? 0, source: str(o.source ?? o.yaml ?? o.document), createdAt: time(o.createdAt) ?? 0, createdBy: strOrNull(o.createdBy), comment: strOrNull(o.comment) };
    });
  },
  async savePolicy(name: string, source: string, comment: string): Promise<PolicyVersion> {
    const o = obj(await sendJson('POST', `/api/policies/${enc(name)}/versions`, { source, comment }, `Saving policy ${name}`));
    const v = obj(o.version && typeof o.version === 'object' ? o.version : o);
    return { version: num(v.version) ?? 0, source, createdAt: time(v.createdAt) ?? Date.now(), createdBy: strOrNull(v.createdBy), comment };
  },
  async dryRun(name: string, selector: string): Promise<{ hosts: string[] }> {
    const o = obj(await sendJson('POST', `/api/policies/${enc(name)}/dry-run`, { selector }, 'Previewing matching hosts'));
    return { hosts: strings(o.hosts ?? o.matches) };
  },
  async publish(name: string, version: number, selector: string, percents: number[], soak?: string): Promise<Rollout> {
    const o = obj(await sendJson('POST', `/api/policies/${enc(name)}/publish`, { version, selector, percents, ...(soak ? { soak } : {}) }, `Publishing ${name} v${version}`));
    return toRollout(o.rollout ?? o);
  },
  async rollouts(): Promise<Rollout[]> {
    return list(await getJson('/api/rollouts', 'Loading rollouts'), 'rollouts').map(toRollout);
  },
  async rolloutAction(id: string, action: 'halt' | 'rollback'): Promise<void> {
    await sendJson('POST', `/api/rollouts/${enc(id)}/${action}`, {}, action === 'halt' ? `Halting rollout ${id}` : `Rolling back rollout ${id}`);
  },

  async models(): Promise<Model[]> {
    return list(await getJson('/api/models', 'Loading models'), 'models').map((m) => {
      const o = obj(m);
      return {
        id: str(o.id), name: str(o.name), version: str(o.version), kind: str(o.featureSchemaVersion ?? o.kind), createdAt: time(o.createdAt) ?? 0,
        sha256: str(o.sha256), bytes: num(o.bytes) ?? 0, uploadedBy: strOrNull(o.uploadedBy),
      };
    });
  },
  /** Uploads an .onnx file with its card (multipart `file` + `card`); reports upload progress. */
  async uploadModel(file: File, card: File, onProgress: (fraction: number) => void): Promise<Model> {
    const form = new FormData();
    form.append('file', file);
    form.append('card', card);
    // XMLHttpRequest because fetch cannot report upload progress.
    return new Promise<Model>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', '/api/models');
      const auth = apiToken();
      if (auth) xhr.setRequestHeader('authorization', `Bearer ${auth}`);
      xhr.setRequestHeader('accept', 'application/json');
      xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
      xhr.onerror = () => reject(new ApiError('Upload failed: the control plane could not be reached.', 0));
      xhr.onload = () => {
        let body: unknown = xhr.responseText;
        try { body = JSON.parse(xhr.responseText); } catch { /* plain text body */ }
        if (xhr.status < 300) {
          const o = obj(body);
          return resolve({ id: str(o.id), name: str(o.name), version: str(o.version), kind: str(o.featureSchemaVersion), createdAt: time(o.createdAt) ?? Date.now(), sha256: str(o.sha256), bytes: num(o.bytes) ?? 0, uploadedBy: strOrNull(o.uploadedBy) });
        }
        reject(errorFromResponse(xhr.status, body, `Uploading ${file.name}`));
      };
      xhr.send(form);
    });
  },
  /** Rolls a model out: named canary hosts first, then cumulative waves; regressions roll it back automatically. */
  async publishModel(id: string, selector: string, canaries: string[], percents: number[]): Promise<Rollout> {
    const o = obj(await sendJson('POST', `/api/models/${enc(id)}/publish`, { selector, ...(canaries.length ? { canaries } : {}), percents }, `Publishing model ${id}`));
    return toRollout(o);
  },

  async approvals(): Promise<Approval[]> {
    return list(await getJson('/api/approvals', 'Loading approvals'), 'approvals').map(toApproval);
  },
  async decide(id: string, approved: boolean, reason: string): Promise<void> {
    await sendJson('POST', `/api/approvals/${enc(id)}/decide`, { approved, ...(reason ? { reason } : {}) }, approved ? 'Approving' : 'Denying');
  },

  async enrollTokens(): Promise<EnrollToken[]> {
    return list(await call(client.api.tokens.$get(), 'Loading enrollment tokens'), 'tokens').map(toEnrollToken);
  },
  async createEnrollToken(input: { labels: Record<string, string>; maxUses: number; ttlHours: number }): Promise<CreatedEnrollToken> {
    const body = { labels: input.labels, uses: input.maxUses, ttl: `${input.ttlHours}h` };
    const o = obj(await call(client.api.tokens.$post({ json: body }), 'Creating the token'));
    return { ...toEnrollToken(o), token: str(o.token) };
  },
  async revokeEnrollToken(id: string): Promise<void> {
    await call(client.api.tokens[':id'].$delete({ param: { id } }), `Revoking token ${id}`);
  },

  async users(): Promise<User[]> {
    return list(await getJson('/api/users', 'Loading users'), 'users').map((u) => {
      const o = obj(u);
      return { id: str(o.id), username: str(o.username), role: str(o.role), disabled: o.disabled === true || !!o.disabledAt, createdAt: time(o.createdAt) ?? 0 };
    });
  },
  async createUser(username: string, password: string, role: string): Promise<void> {
    await sendJson('POST', '/api/users', { username, password, role }, `Creating user ${username}`);
  },
  async setUserRole(id: string, role: string): Promise<void> {
    await sendJson('PATCH', `/api/users/${enc(id)}`, { role }, 'Changing the role');
  },
  async apiTokens(): Promise<ApiToken[]> {
    return list(await getJson('/api/api-tokens', 'Loading API tokens'), 'tokens').map((t) => {
      const o = obj(t);
      return { id: str(o.id), name: str(o.name), createdAt: time(o.createdAt) ?? 0, lastUsedAt: time(o.lastUsedAt), revoked: !!o.revokedAt };
    });
  },
  async createApiToken(name: string): Promise<CreatedApiToken> {
    const o = obj(await sendJson('POST', '/api/api-tokens', { name }, 'Creating the API token'));
    const t = obj(o.token && typeof o.token === 'object' ? o.token : o);
    return { id: str(t.id), name, createdAt: time(t.createdAt) ?? Date.now(), lastUsedAt: null, revoked: false, token: str(o.secret ?? o.token) };
  },
  async revokeApiToken(id: string): Promise<void> {
    await sendJson('DELETE', `/api/api-tokens/${enc(id)}`, undefined, 'Revoking the API token');
  },
  async audit(target?: string): Promise<AuditEntry[]> {
    const q = target ? `?target=${enc(target)}` : '';
    return list(await getJson(`/api/audit${q}`, 'Loading the audit trail'), 'entries', 'audit').map((a) => {
      const o = obj(a);
      return { id: str(o.id), ts: time(o.ts ?? o.at ?? o.createdAt) ?? 0, actor: str(o.actor ?? o.by), action: str(o.action), target: str(o.target), detail: strOrNull(typeof o.detail === 'object' ? JSON.stringify(o.detail) : o.detail) };
    });
  },
};
