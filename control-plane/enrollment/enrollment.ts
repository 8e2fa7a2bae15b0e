/**
 * Enrollment: tokens (create/list/revoke) and the exchange of a valid token for agent credentials; host revocation.
 * Tokens are bearer values `het_<id>.<secret>`; agent secrets are random. Only scrypt hashes are stored.
 */
import { ConflictError, UnauthenticatedError } from '../../contract/errors.ts';
import { formatBearer, hashRandomSecret, parseBearer, randomId, randomSecret, verifySecret } from '../keys/secrets.ts';
import type { EnrollmentTokenRecord, HostRecord, Labels, Store } from '../store/ports.ts';

export const ENROLLMENT_TOKEN_PREFIX = 'het';

export type EnrollRequest = {
  token: string;
  hostname: string;
  agentVersion: string;
  labels?: Labels;
  inventory?: Record<string, unknown>;
};
export type EnrollResponse = {
  agentId: string;
  secret: string;
  mqttUrl: string;
  wsUrl: string;
  publicKey: string;
  labels: Labels;
  /** With HTTPS on: the CA certificate the agent pins for HTTP and MQTT from now on, and its sha256 (docs/tls.md). */
  tls?: { caPem: string; caSha256: string };
  /** Requested labels the token's labels replaced (key → requested, applied); absent when none. */
  overriddenLabels?: Record<string, { requested: string; applied: string }>;
};

export type EnrollmentOptions = {
  store: Store;
  /** SPKI PEM of the control plane's ed25519 signing key. */
  publicKeyPem: string;
  /** The broker URLs agents should use (known only once listening). */
  urls(): { mqttUrl: string; wsUrl: string };
  /** Called before the token is redeemed, to give the new host a broker account (external broker); a failure fails
   * the enrollment without spending the token. */
  onHostEnrolled?(agentId: string, secret: string): Promise<void>;
  /** Called after a host is revoked, to cut its live session and cached credentials. */
  onHostRevoked(agentId: string): Promise<void>;
  defaultTtlMs: number;
  /** The CA agents pin (HTTPS on), given in every enrollment answer. */
  tls?: { caPem: string; caSha256: string } | undefined;
  now?: () => Date;
};

export type Enrollment = ReturnType<typeof createEnrollment>;

export function createEnrollment(opts: EnrollmentOptions) {
  const { store } = opts;
  const now = opts.now ?? (() => new Date());
  return {
    /** Creates a token; the plaintext is returned only here. */
    async createToken(input: {
      labels?: Labels;
      uses?: number;
      ttlMs?: number;
      createdBy?: string | null;
    }): Promise<{ token: string; record: EnrollmentTokenRecord }> {
      const id = randomId('et');
      const secret = randomSecret(24);
      const record = await store.tokens.create({
        id,
        tokenHash: hashRandomSecret(secret),
        labels: input.labels ?? {},
        maxUses: input.uses ?? 1,
        expiresAt: new Date(now().getTime() + (input.ttlMs ?? opts.defaultTtlMs)),
        createdBy: input.createdBy ?? null,
      });
      return { token: formatBearer(ENROLLMENT_TOKEN_PREFIX, id, secret), record };
    },
    listTokens: () => store.tokens.list(),
    revokeToken: (id: string) => store.tokens.revoke(id, now()),

    /** Exchanges a valid token for credentials; UnauthenticatedError for an unknown/wrong token, ConflictError when expired/used up/revoked. */
    async enroll(req: EnrollRequest): Promise<EnrollResponse> {
      const parsed = parseBearer(ENROLLMENT_TOKEN_PREFIX, req.token);
      const found = parsed ? await store.tokens.find(parsed.id) : null;
      if (!parsed || !found || !(await verifySecret(parsed.secret, found.tokenHash)))
        throw new UnauthenticatedError('token: not a valid enrollment token');
      const t = found.token;
      const at = now();
      // Checked here for a precise message; redeem re-checks atomically.
      if (t.revokedAt)
        throw new ConflictError(
          `token: enrollment token '${t.id}' was revoked at ${t.revokedAt.toISOString()}`,
          'token-revoked',
        );
      if (t.expiresAt <= at)
        throw new ConflictError(
          `token: enrollment token '${t.id}' expired at ${t.expiresAt.toISOString()}`,
          'token-expired',
        );
      if (t.usesLeft <= 0)
        throw new ConflictError(`token: enrollment token '${t.id}' is used up (${t.maxUses} uses)`, 'token-used-up');
      const agentId = randomId('agent');
      const secret = randomSecret(32);
      // Token labels are the administrator's and win over what the agent proposes; the answer says which requested
      // labels were overridden, so `agent enroll --labels` can tell its operator (never silently).
      const labels = { ...(req.labels ?? {}), ...t.labels };
      const overridden: Record<string, { requested: string; applied: string }> = {};
      for (const [k, v] of Object.entries(req.labels ?? {}))
        if (k in t.labels && t.labels[k] !== v) overridden[k] = { requested: v, applied: t.labels[k]! };
      // The broker account first (external mode): when the broker cannot take it, the enrollment fails before the
      // token is spent, so the same token works on a retry. Should redeem then fail (a race for the last use), the
      // account left behind carries a secret nobody was given.
      if (opts.onHostEnrolled) await opts.onHostEnrolled(agentId, secret);
      const host = await store.tokens.redeem(
        t.id,
        at,
        {
          id: agentId,
          hostname: req.hostname,
          labels,
          agentVersion: req.agentVersion,
          inventory: req.inventory ?? null,
        },
        hashRandomSecret(secret),
      );
      const { mqttUrl, wsUrl } = opts.urls();
      return {
        agentId,
        secret,
        mqttUrl,
        wsUrl,
        publicKey: opts.publicKeyPem,
        labels: host.labels,
        ...(opts.tls ? { tls: opts.tls } : {}),
        ...(Object.keys(overridden).length ? { overriddenLabels: overridden } : {}),
      };
    },

    /** Revokes a host: refused from now on and disconnected at once. */
    async revokeHost(id: string): Promise<HostRecord> {
      const host = await store.hosts.revoke(id, now());
      await opts.onHostRevoked(id);
      return host;
    },
  };
}
