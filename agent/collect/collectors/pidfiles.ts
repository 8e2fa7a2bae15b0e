/** pidfile-supervised processes: the pid in the file is alive and not a zombie. Cheap enough for every cycle. */
import { parsePidStat } from '../parse/pid.ts';
import type { Collector, ServiceState } from '../types.ts';

/** Creates the pidfile collector for `pidfiles` (name -> pidfile path). */
export function createPidfileCollector(options: { pidfiles: Record<string, string> }): Collector<'pidfiles'> {
  return {
    name: 'pidfiles',
    cadence: 'cycle',
    async collect({ sysfs }) {
      const out: ServiceState[] = [];
      for (const [name, path] of Object.entries(options.pidfiles)) {
        const text = await sysfs.read(path);
        const pid = text === null ? NaN : Number.parseInt(text.trim(), 10);
        if (!(pid > 0)) {
          out.push({
            name,
            backend: 'pidfile',
            state: 'missing',
            pid: null,
            restarts: null,
            healthy: false,
            detail: text === null ? `no pidfile ${path}` : `pidfile ${path} holds no pid`,
          });
          continue;
        }
        const stat = await sysfs.read(`/proc/${pid}/stat`);
        const state = stat === null ? 'dead' : parsePidStat(stat).state === 'Z' ? 'zombie' : 'running';
        out.push({ name, backend: 'pidfile', state, pid, restarts: null, healthy: state === 'running' });
      }
      return out;
    },
  };
}
