/** Collection options -> defaults -> validated config (zod); every problem reported at once. */
import { z } from 'zod';
import { ValidationError, zodIssues } from '../../contract/errors.ts';

/** Validated collection config. */
export const CollectConfig = z.object({
  /** systemd units to watch (default none). */
  services: z.array(z.string().regex(/^[\w@.:-]+$/, 'unit names use letters, digits and _ @ . : -')).default([]),
  /** pidfile-supervised processes: name -> pidfile path (default none). */
  pidfiles: z
    .record(z.string().regex(/^[\w.-]+$/), z.string().startsWith('/', 'pidfile paths are absolute'))
    .default({}),
  /** Processes per top-N ranking (default 5). */
  topProcesses: z.number().int().min(1).max(50).default(5),
  /** Default per-collector timeout in ms (default 2000). */
  timeoutMs: z.number().int().min(10).max(120_000).default(2000),
  /** SMART cadence in seconds (default 600). */
  smartEverySeconds: z.number().int().min(10).default(600),
  /** systemd service cadence in seconds (default 60). */
  servicesEverySeconds: z.number().int().min(1).default(60),
  /** Inventory refresh in seconds (default 86400). */
  inventoryEverySeconds: z.number().int().min(60).default(86_400),
  /** Collectors to turn off by name. */
  disable: z
    .array(
      z.enum([
        'cpu',
        'memory',
        'filesystems',
        'disks',
        'network',
        'sensors',
        'processes',
        'services',
        'pidfiles',
        'smart',
      ]),
    )
    .default([]),
});
export type CollectConfig = z.infer<typeof CollectConfig>;
export type CollectOptions = z.input<typeof CollectConfig>;

/** Validates options, filling defaults; throws ValidationError naming every bad key. */
export function collectConfig(options: CollectOptions = {}): CollectConfig {
  const r = CollectConfig.safeParse(options);
  if (!r.success) throw new ValidationError(zodIssues(r.error), 'collection config');
  return r.data;
}
