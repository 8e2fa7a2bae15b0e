/** What the fleet services share: repositories, core hosts, command publishing, the signing key, audit, clock, log. */
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { Command } from '../../contract/protocol/index.ts';
import type { FleetRepositories, HostRecord, HostRepository, TelemetryRepository } from '../store/ports.ts';
import type { AuditLog } from '../access/audit-log.ts';

export interface FleetContext {
  /** The fleet's repositories plus the core's telemetry reads (health gate, correlation). */
  repos: FleetRepositories & { telemetry: TelemetryRepository };
  hosts: HostRepository;
  publish(agentId: string, command: Command): Promise<void>;
  signingKey: KeyObject;
  audit: AuditLog;
  now(): number;
  log: Logger;
  /** Directory for uploaded model files. */
  modelDir: string;
}

/** Per-unit identities: unique per host, never a shared cause. */
const IDENTITY = /(^|\.)(serial|serialNum|uuid|mac|hostname|device|name)$/i;

/**
 * Flattens inventory into dotted scalar attributes: objects recurse (`inventory.os.kernel`), arrays collect each leaf
 * path's distinct values, sorted and comma-joined (`inventory.disks.firmware` = `CS02,SN03`), identities are skipped.
 */
export function flattenInventory(value: unknown, prefix: string, out: Record<string, string>): void {
  const leaves = new Map<string, Set<string>>();
  const walk = (v: unknown, path: string, inArray: boolean) => {
    if (v === null || v === undefined) return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x, path, true);
      return;
    }
    if (typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(x, `${path}.${k}`, inArray);
      return;
    }
    if (IDENTITY.test(path)) return;
    const s = String(v);
    if (!inArray) {
      out[path] = s;
      return;
    }
    (leaves.get(path) ?? leaves.set(path, new Set()).get(path)!).add(s);
  };
  walk(value, prefix, false);
  for (const [path, values] of leaves) out[path] = [...values].sort().join(',');
}

/** Flat attributes of a host for selectors and correlation: labels, `hostname`, flattened inventory
 * ({@link flattenInventory}), the applied policy version and model versions (`model.<name>`). */
export function hostAttributes(h: HostRecord): Record<string, string> {
  const out: Record<string, string> = { ...h.labels, hostname: h.hostname };
  flattenInventory(h.inventory ?? {}, 'inventory', out);
  if (h.appliedPolicyVersion) out['policyVersion'] = h.appliedPolicyVersion;
  for (const [name, v] of Object.entries(h.appliedModels ?? {})) out[`model.${name}`] = v;
  return out;
}
