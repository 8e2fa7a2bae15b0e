/** What the fleet services share: database, core hosts, command publishing, the signing key, audit, clock, log. */
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from '../db/database.ts';
import type { Command } from '../protocol/index.ts';
import type { HostRecord, HostRepository } from '../store/ports.ts';
import type { AuditLog } from '../access/audit-log.ts';

export interface FleetContext {
  db: Db;
  hosts: HostRepository;
  publish(agentId: string, command: Command): Promise<void>;
  signingKey: KeyObject;
  audit: AuditLog;
  now(): number;
  log: Logger;
  /** Directory for uploaded model files. */
  modelDir: string;
}

/** Flat attributes of a host for selectors and correlation: labels, `hostname`, flattened scalar inventory
 * (`inventory.<key>`), the applied policy version and model versions (`model.<name>`). */
export function hostAttributes(h: HostRecord): Record<string, string> {
  const out: Record<string, string> = { ...h.labels, hostname: h.hostname };
  for (const [k, v] of Object.entries(h.inventory ?? {})) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[`inventory.${k}`] = String(v);
  }
  if (h.appliedPolicyVersion) out['policyVersion'] = h.appliedPolicyVersion;
  for (const [name, v] of Object.entries(h.appliedModels ?? {})) out[`model.${name}`] = v;
  return out;
}
