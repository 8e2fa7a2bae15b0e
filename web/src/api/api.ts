/**
 * Every API call the UI makes, one function per route, each through the typed client (`hc<AppType>`, client.ts):
 * paths, request bodies and response types come from the control plane's routes and the contract's schemas
 * (contract/api/*), so the UI reads exactly the fields the API returns. Failures throw ApiError with words for the
 * person. Query keys live in `keys` so live events can invalidate the right queries.
 */
import type { InferRequestType, InferResponseType } from 'hono/client';
import { ApiError, apiToken, authHeaders, errorFromResponse, setApiToken } from './http.ts';
import { call, client } from './client.ts';
import type { Session } from './types.ts';

/** TanStack Query keys, by resource. */
export const keys = {
  session: ['session'] as const,
  hosts: ['hosts'] as const,
  hostLists: ['hosts', 'list'] as const,
  hostList: (window: string) => ['hosts', 'list', window] as const,
  host: (id: string) => ['hosts', id] as const,
  samples: (id: string) => ['hosts', id, 'samples'] as const,
  series: (id: string, since: number, until: number | null) => ['hosts', id, 'series', since, until] as const,
  recentEvents: ['events', 'recent'] as const,
  events: (id: string) => ['hosts', id, 'events'] as const,
  incidents: ['incidents'] as const,
  incident: (id: string) => ['incidents', id] as const,
  policies: ['policies'] as const,
  policyVersions: (name: string) => ['policies', name, 'versions'] as const,
  rollouts: ['rollouts'] as const,
  models: ['models'] as const,
  agentVersions: ['agent-versions'] as const,
  approvals: ['approvals'] as const,
  enrollTokens: ['enroll-tokens'] as const,
  installInfo: ['install-info'] as const,
  users: ['users'] as const,
  apiTokens: ['api-tokens'] as const,
  audit: (target?: string) => ['audit', target ?? ''] as const,
  auditSearch: (q: AuditFilter) => ['audit', 'search', q] as const,
  silences: ['silences'] as const,
  webhooks: ['webhooks'] as const,
};

/** Filters of the fleet-wide audit log (`GET /api/audit`); times in epoch ms; `q` is free text (every term). */
export type AuditFilter = {
  q?: string;
  actor?: string;
  action?: string;
  target?: string;
  since?: number;
  until?: number;
};

/** The query string form of an {@link AuditFilter} (empty fields left out). */
function auditQuery(f: AuditFilter, limit: number): Record<string, string> {
  const q: Record<string, string> = { limit: String(limit) };
  for (const k of ['q', 'actor', 'action', 'target'] as const) if (f[k]?.trim()) q[k] = f[k]!.trim();
  if (f.since !== undefined) q.since = String(f.since);
  if (f.until !== undefined) q.until = String(f.until);
  return q;
}

/** A new silence or maintenance window (`POST /api/silences`). */
export type NewSilence = InferRequestType<typeof c.silences.$post>['json'];

const c = client.api;

/** What a model rollout can send: registered models and those bundled with the agent (registered when sent). */
export function sendableModels(list: Awaited<ReturnType<typeof api.modelList>>): Set<string> {
  return new Set([...list.models.map((m) => m.id), ...list.bundled.map((m) => m.id)]);
}

/** A model as `POST /api/models` answers (the upload goes through XMLHttpRequest for its progress events). */
type UploadedModel = InferResponseType<typeof c.models.$post, 201>;
type AgentVersion = InferResponseType<(typeof c)['agent-versions']['$post'], 201>;

/** POSTs a multipart form with XMLHttpRequest (fetch cannot report upload progress); resolves the 201 body. */
function uploadForm<T>(path: string, form: FormData, what: string, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    const auth = apiToken();
    if (auth) xhr.setRequestHeader('authorization', `Bearer ${auth}`);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(new ApiError('Upload failed: the control plane could not be reached.', 0));
    xhr.onload = () => {
      let body: unknown = xhr.responseText;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* plain text body */
      }
      if (xhr.status === 201) return resolve(body as T);
      reject(errorFromResponse(xhr.status, body, what));
    };
    xhr.send(form);
  });
}

export const api = {
  /** Who is signed in (session cookie or the tab's API token) and with which role; null when nobody is. */
  async session(): Promise<Session | null> {
    const me = await call(c.session.$get(), 'Loading your session');
    if (me.kind !== 'user') return null;
    return { username: me.username, role: me.role, via: apiToken() ? 'token' : 'password' };
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
      if (err instanceof ApiError && err.status === 401) {
        throw new ApiError(
          `Sign-in failed: ${err.message.includes('not valid') ? err.message : 'API token is not valid'}.`,
          401,
        );
      }
      throw err;
    }
  },
  /** Password sign-in: the control plane sets an HTTP-only session cookie. */
  async login(username: string, password: string): Promise<Session> {
    setApiToken(null);
    await call(c.session.$post({ json: { username, password } }), 'Signing in');
    const s = await api.session();
    if (!s) throw new ApiError('Signed in, but the control plane does not recognise the session. Try again.', 401);
    return s;
  },
  async logout(): Promise<void> {
    if (apiToken()) return setApiToken(null);
    await call(c.session.$delete(), 'Signing out');
  },

  async hosts() {
    return (await call(c.hosts.$get({ query: {} }), 'Loading hosts')).hosts;
  },
  /** Every host with its anomaly score peak over the last `window` (`15m`, `1h`, …) and the window in ms. */
  async hostList(window: string) {
    return call(c.hosts.$get({ query: { window } }), 'Loading hosts');
  },
  async host(id: string) {
    return call(c.hosts[':id'].$get({ param: { id } }), `Loading host ${id}`);
  },
  /** The host's seq gaps reconciled with the ranges its `outbox.dropped` events reported. */
  async hostLoss(id: string) {
    return call(c.hosts[':id'].loss.$get({ param: { id } }), `Loading the loss accounting of ${id}`);
  },
  async samples(id: string, since: number, until?: number) {
    const query = { since: String(since), limit: '5000', ...(until !== undefined ? { until: String(until) } : {}) };
    // The API answers newest first (the newest 5000 of the window); charts want them oldest first.
    return (await call(c.hosts[':id'].samples.$get({ param: { id }, query }), 'Loading samples')).samples.reverse();
  },
  /**
   * The host's stored samples over [since, until) (until: now) downsampled by the control plane to about `points`,
   * oldest first, and the step it used.
   */
  async series(id: string, since: number, until?: number, points = 1000) {
    const query = {
      since: String(since),
      points: String(points),
      ...(until !== undefined ? { until: String(until) } : {}),
    };
    return call(c.hosts[':id'].series.$get({ param: { id }, query }), 'Loading the chart range');
  },
  /** The host's newest events of one type with since <= ts < until (newest first). */
  async eventsOfType(id: string, type: string, since?: number, until?: number, limit = 500) {
    const query = {
      type,
      limit: String(limit),
      ...(since !== undefined ? { since: String(since) } : {}),
      ...(until !== undefined ? { until: String(until) } : {}),
    };
    return (await call(c.hosts[':id'].events.$get({ param: { id }, query }), 'Loading alert events')).events;
  },
  /** The fleet's newest events (every host), newest first. */
  async recentEvents(limit = 15) {
    return (await call(c.events.$get({ query: { limit: String(limit) } }), 'Loading recent events')).events;
  },
  /** The host's latest 500 events, newest first. */
  async events(id: string) {
    const { events } = await call(
      c.hosts[':id'].events.$get({ param: { id }, query: { limit: '500' } }),
      'Loading events',
    );
    return events.sort((a, b) => b.ts - a.ts);
  },

  async incidents() {
    return (await call(c.incidents.$get({ query: {} }), 'Loading incidents')).incidents;
  },
  async incident(id: string) {
    return call(c.incidents[':id'].$get({ param: { id } }), `Loading incident ${id}`);
  },
  async incidentAction(id: string, action: 'ack' | 'annotate' | 'resolve', note?: string) {
    const what = `Updating incident ${id}`;
    const param = { id };
    if (action === 'annotate')
      return call(c.incidents[':id'].annotate.$post({ param, json: { note: note ?? '' } }), what);
    if (action === 'ack') return call(c.incidents[':id'].ack.$post({ param }), what);
    return call(c.incidents[':id'].resolve.$post({ param }), what);
  },

  /** Sets (a username) or clears (null) who handles an incident. */
  async assignIncident(id: string, assignee: string | null) {
    return call(
      c.incidents[':id'].assign.$post({ param: { id }, json: { assignee } }),
      assignee ? `Assigning incident ${id} to ${assignee}` : `Clearing the assignee of ${id}`,
    );
  },

  async policies() {
    return (await call(c.policies.$get(), 'Loading policies')).policies;
  },
  async policyVersions(name: string) {
    return (await call(c.policies[':id'].versions.$get({ param: { id: name } }), `Loading versions of ${name}`))
      .versions;
  },
  /** Saves `source` as the policy's next version (creating the policy on its first save). */
  async savePolicy(name: string, source: string, comment: string) {
    const json = { source, ...(comment ? { comment } : {}) };
    return call(c.policies[':id'].versions.$post({ param: { id: name }, json }), `Saving policy ${name}`);
  },
  async dryRun(name: string, selector: string) {
    return call(
      c.policies[':id']['dry-run'].$post({ param: { id: name }, json: { selector } }),
      'Previewing matching hosts',
    );
  },
  async publish(name: string, version: number, selector: string, percents: number[], soak?: string) {
    const json = { version, selector, percents, ...(soak ? { soak } : {}) };
    return call(c.policies[':id'].publish.$post({ param: { id: name }, json }), `Publishing ${name} v${version}`);
  },
  async rollouts() {
    return (await call(c.rollouts.$get({ query: {} }), 'Loading rollouts')).rollouts;
  },
  async rolloutAction(id: string, action: 'halt' | 'rollback' | 'resume') {
    const param = { id };
    if (action === 'halt') return call(c.rollouts[':id'].halt.$post({ param }), `Halting rollout ${id}`);
    if (action === 'resume') return call(c.rollouts[':id'].resume.$post({ param }), `Resuming rollout ${id}`);
    return call(c.rollouts[':id'].rollback.$post({ param }), `Rolling back rollout ${id}`);
  },

  async rolloutComparison(id: string) {
    return call(c.rollouts[':id'].comparison.$get({ param: { id } }), `Comparing rollout ${id}`);
  },

  /** `GET /api/models`: registered models and those bundled with the agent; one query (keys.models) for both uses. */
  async modelList() {
    return call(c.models.$get(), 'Loading models');
  },
  /** Uploads an .onnx file with its card (multipart `file` + `card`); reports upload progress. */
  async uploadModel(file: File, card: File, onProgress: (fraction: number) => void): Promise<UploadedModel> {
    const form = new FormData();
    form.append('file', file);
    form.append('card', card);
    return uploadForm<UploadedModel>(c.models.$url().pathname, form, `Uploading ${file.name}`, onProgress);
  },
  /** Uploads a signed agent artifact (multipart `file` + `signature`, the packager's .tar.gz and .sig); admin only. */
  async uploadAgentVersion(file: File, signature: File, onProgress: (fraction: number) => void) {
    const form = new FormData();
    form.append('file', file);
    form.append('signature', signature);
    return uploadForm<AgentVersion>(c['agent-versions'].$url().pathname, form, `Uploading ${file.name}`, onProgress);
  },

  /** Rolls a model out: named canary hosts first, then cumulative waves; regressions roll it back automatically. */
  async publishModel(id: string, selector: string, canaries: string[], percents: number[], soak?: string) {
    const json = { selector, ...(canaries.length ? { canaries } : {}), percents, ...(soak ? { soak } : {}) };
    return call(c.models[':id'].publish.$post({ param: { id }, json }), `Publishing model ${id}`);
  },

  /** Agent versions this control plane serves (signed artifacts) and how many hosts run each. */
  async agentVersions() {
    return call(c['agent-versions'].$get(), 'Loading agent versions');
  },
  /** Rolls an agent version out in waves; a host that cannot run it switches back by itself and halts the rollout. */
  async publishAgentVersion(version: string, selector: string, percents: number[]) {
    const json = { selector, percents };
    return call(
      c['agent-versions'][':version'].publish.$post({ param: { version }, json }),
      `Rolling out agent ${version}`,
    );
  },

  async approvals() {
    return (await call(c.approvals.$get({ query: {} }), 'Loading approvals')).approvals;
  },
  async decide(id: string, approved: boolean, reason: string) {
    const json = { approved, ...(reason ? { reason } : {}) };
    return call(c.approvals[':id'].decide.$post({ param: { id }, json }), approved ? 'Approving' : 'Denying');
  },

  async installInfo() {
    return call(c.enrollment.install.$get(), 'Loading the install command');
  },
  async enrollTokens() {
    return (await call(c.tokens.$get(), 'Loading enrollment tokens')).tokens;
  },
  async createEnrollToken(input: { labels: Record<string, string>; maxUses: number; ttlHours: number }) {
    const json = { labels: input.labels, uses: input.maxUses, ttl: `${input.ttlHours}h` };
    return call(c.tokens.$post({ json }), 'Creating the token');
  },
  async revokeEnrollToken(id: string) {
    return call(c.tokens[':id'].$delete({ param: { id } }), `Revoking token ${id}`);
  },

  async users() {
    return (await call(c.users.$get(), 'Loading users')).users;
  },
  async createUser(username: string, password: string, role: 'admin' | 'operator' | 'viewer') {
    return call(c.users.$post({ json: { username, password, role } }), `Creating user ${username}`);
  },
  async setUserRole(id: string, role: 'admin' | 'operator' | 'viewer') {
    return call(c.users[':id'].$patch({ param: { id }, json: { role } }), 'Changing the role');
  },
  async setUserDisabled(id: string, disabled: boolean) {
    return call(
      c.users[':id'].$patch({ param: { id }, json: { disabled } }),
      disabled ? 'Disabling the user' : 'Enabling the user',
    );
  },
  /** Deletes a user with their API tokens and sessions (never your own account nor the last admin). */
  async deleteUser(id: string) {
    return call(c.users[':id'].$delete({ param: { id } }), 'Deleting the user');
  },
  async apiTokens() {
    return (await call(c['api-tokens'].$get(), 'Loading API tokens')).tokens;
  },
  async createApiToken(name: string) {
    return call(c['api-tokens'].$post({ json: { name } }), 'Creating the API token');
  },
  async revokeApiToken(id: string) {
    return call(c['api-tokens'][':id'].$delete({ param: { id } }), 'Revoking the API token');
  },
  /** Revokes a host's credentials: it can no longer connect or report (it must enroll again). */
  async revokeHost(id: string) {
    return call(c.hosts[':id'].revoke.$post({ param: { id } }), `Revoking host ${id}`);
  },
  /** Cordons a host (operator): it keeps running and reporting but gets no new rollout wave until uncordoned. */
  async cordonHost(id: string, reason: string) {
    return call(c.hosts[':id'].cordon.$post({ param: { id }, json: { reason } }), `Cordoning host ${id}`);
  },
  async uncordonHost(id: string) {
    return call(c.hosts[':id'].uncordon.$post({ param: { id } }), `Uncordoning host ${id}`);
  },
  async relabelHost(id: string, labels: Record<string, string>) {
    return call(c.hosts[':id'].labels.$put({ param: { id }, json: { labels } }), `Re-labelling host ${id}`);
  },

  /** The fleet-wide audit log, newest first, filtered (at most `limit` entries). */
  async auditSearch(filter: AuditFilter, limit = 500) {
    // newest first: with more than `limit` matches, the page shows the newest ones
    const query = { ...auditQuery(filter, limit), order: 'desc' };
    return (await call(c.audit.$get({ query }), 'Searching the audit log')).entries;
  },
  /** Downloads the filtered audit log as CSV or JSON lines (admin); resolves with the file's name and content. */
  async auditExport(filter: AuditFilter, format: 'csv' | 'jsonl'): Promise<{ name: string; blob: Blob }> {
    const url = c.audit.export.$url({ query: { ...auditQuery(filter, 100_000), format } });
    let res: Response;
    try {
      res = await fetch(url.pathname + url.search, { credentials: 'same-origin', headers: authHeaders() });
    } catch (err) {
      throw new ApiError(`Cannot reach the control plane (${err instanceof Error ? err.message : String(err)}).`, 0);
    }
    if (!res.ok) {
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* plain text */
      }
      throw errorFromResponse(res.status, body, 'Exporting the audit log');
    }
    return { name: `audit.${format === 'csv' ? 'csv' : 'jsonl'}`, blob: await res.blob() };
  },

  async silences() {
    return (await call(c.silences.$get(), 'Loading silences')).silences;
  },
  async createSilence(json: NewSilence) {
    return call(
      c.silences.$post({ json }),
      json.kind === 'maintenance' ? 'Creating the window' : 'Creating the silence',
    );
  },
  async deleteSilence(id: string) {
    return call(c.silences[':id'].$delete({ param: { id } }), `Deleting ${id}`);
  },

  async webhooks() {
    return (await call(c.webhooks.$get(), 'Loading webhooks')).webhooks;
  },
  async createWebhook(name: string, url: string, events: ('incident' | 'escalation')[]) {
    return call(c.webhooks.$post({ json: { name, url, events } }), `Adding webhook ${name}`);
  },
  async rotateWebhookSecret(id: string) {
    return call(c.webhooks[':id']['rotate-secret'].$post({ param: { id } }), 'Rotating the signing secret');
  },
  /** One real delivery of a test payload; the answer says what came of it (status, latency, error). */
  async testWebhook(id: string) {
    return call(c.webhooks[':id'].test.$post({ param: { id } }), 'Sending a test delivery');
  },
  async deleteWebhook(id: string) {
    return call(c.webhooks[':id'].$delete({ param: { id } }), `Deleting webhook ${id}`);
  },

  /** Audit entries, optionally only those about `target` (a host id, policy version, …). */
  /** The newest 200 audit entries that mention `id` anywhere (a host's actions are audited with its id in the path). */
  async audit(id: string) {
    const query = { q: id, order: 'desc', limit: '200' };
    return (await call(c.audit.$get({ query }), 'Loading the audit trail')).entries;
  },
};
