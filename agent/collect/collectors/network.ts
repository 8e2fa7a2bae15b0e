/** Network: per-interface counters from /proc/net/dev, link state, speed and carrier changes from /sys/class/net. */
import { parseNetDev } from '../parse/net-dev.ts';
import { CollectorUnavailable, type Collector, type NetFacts } from '../types.ts';
import { readInt } from './cpu.ts';

/** Creates the network collector (every cycle). `ignore` matches interface names to skip (default: none). */
export function createNetworkCollector(options: { ignore?: RegExp } = {}): Collector<'network'> {
  return {
    name: 'network',
    cadence: 'cycle',
    async collect({ sysfs }) {
      const text = await sysfs.read('/proc/net/dev');
      if (text === null) throw new CollectorUnavailable('/proc/net/dev is not readable');
      const out: NetFacts[] = [];
      for (const c of parseNetDev(text)) {
        if (options.ignore?.test(c.iface)) continue;
        const base = `/sys/class/net/${c.iface}`;
        const operstate = ((await sysfs.read(`${base}/operstate`)) ?? 'unknown').trim();
        const speed = await readInt(sysfs, `${base}/speed`); // EINVAL (null) when down or virtual; -1 when unknown
        out.push({
          ...c,
          operstate,
          up: operstate === 'up' || (operstate === 'unknown' && c.iface === 'lo'),
          speedMbps: speed !== null && speed > 0 ? speed : null,
          carrierChanges: await readInt(sysfs, `${base}/carrier_changes`),
        });
      }
      return out;
    },
  };
}
