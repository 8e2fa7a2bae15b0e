/**
 * systemd services named in the config: one `systemctl show` for all of them, on a slow cadence (default 60 s).
 * Unavailable where systemd is not PID 1 (containers, sandboxes), detected as sd_booted(3) does.
 */
import { CollectorUnavailable, type Cadence, type Collector, type ServiceState } from '../types.ts';
import { truncateCodePoints } from '../../../contract/truncate.ts';

/** Parses `systemctl show -p Id,ActiveState,SubState,MainPID,NRestarts,LoadState u1 u2 …` (blank line between units). */
export function parseSystemctlShow(text: string): ServiceState[] {
  const out: ServiceState[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const kv: Record<string, string> = {};
    for (const line of block.split('\n')) {
      const i = line.indexOf('=');
      if (i > 0) kv[line.slice(0, i)] = line.slice(i + 1).trim();
    }
    if (!kv.Id) continue;
    const state = kv.LoadState === 'not-found' ? 'missing' : (kv.ActiveState ?? 'unknown');
    const pid = Number(kv.MainPID);
    out.push({
      name: kv.Id.replace(/\.service$/, ''),
      backend: 'systemd',
      state,
      pid: pid > 0 ? pid : null,
      restarts: kv.NRestarts !== undefined && kv.NRestarts !== '' ? Number(kv.NRestarts) : null,
      healthy: state === 'active',
      detail: kv.SubState,
    });
  }
  return out;
}

/** Creates the systemd service collector for `units` (names with or without `.service`). */
export function createServiceCollector(options: { units: string[]; cadence?: Cadence }): Collector<'services'> {
  return {
    name: 'services',
    cadence: options.cadence ?? { everySeconds: 60 },
    timeoutMs: 5000,
    async collect({ sysfs, exec }) {
      if (!(await sysfs.exists('/run/systemd/system'))) {
        const init = (await sysfs.read('/proc/1/comm'))?.trim() ?? 'unknown';
        throw new CollectorUnavailable(`systemd is not running (PID 1 is ${init})`);
      }
      if (options.units.length === 0) return [];
      const bin = await exec.which('systemctl');
      if (!bin) throw new CollectorUnavailable('systemctl not found');
      const r = await exec.run(
        'services',
        bin,
        ['show', '--no-pager', '-p', 'Id,LoadState,ActiveState,SubState,MainPID,NRestarts', ...options.units],
        { timeoutMs: 4000 },
      );
      if (r.code !== 0)
        throw new CollectorUnavailable(`systemctl show failed: ${truncateCodePoints(r.stderr.trim(), 120)}`);
      return parseSystemctlShow(r.stdout);
    },
  };
}
