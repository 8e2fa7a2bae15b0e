/** Outbound webhooks (Alertmanager-compatible deliveries). */

export const WEBHOOK_EVENTS = ['incident', 'escalation'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookRecord {
  id: string;
  name: string;
  url: string;
  /** Empty = every event. */
  events: WebhookEvent[];
  enabled: boolean;
  /** HMAC signing key; null for webhooks created before signing. */
  secret: string | null;
  createdBy: string;
  createdAt: Date;
}

export interface WebhookRepository {
  create(
    w: Omit<WebhookRecord, 'enabled' | 'createdAt'> & { enabled?: boolean; createdAt?: Date },
  ): Promise<WebhookRecord>;
  get(id: string): Promise<WebhookRecord | null>;
  /** Oldest first; `enabledOnly` for deliveries. */
  list(filter?: { enabledOnly?: boolean }): Promise<WebhookRecord[]>;
  /** Replaces the signing secret; false when unknown. */
  setSecret(id: string, secret: string): Promise<boolean>;
  /** True when it existed. */
  delete(id: string): Promise<boolean>;
}
