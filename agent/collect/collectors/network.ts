/** Network: per-interface counters from /proc/net/dev, link state, speed and carrier changes from /sys/class/net. */
import { parseNetDev } from '../parse/net-dev.ts';
import { CollectorUnavailable, type Collector, type NetFacts } from '../types.ts';
import { createOptionalReader, readInt } from './cpu.ts';

/** An interface's sysfs paths and last operstate (kept while it is listed in /proc/net/dev). */
type Iface = { operstate: string; operstatePath: string; speedPath: string; carrierPath: string; pass: number };

/**
 * Creates the network collector (every cycle). `ignore` matches interface names to skip (default: none).
 * An interface without a speed (virtual, or down: reading it fails with EINVAL) is not asked again for ten minutes,
 * or until its operstate changes.
 */
export function createNetworkCollector(options: { ignore?: RegExp } = {}): Collector<'network'> {
  const speeds = createOptionalReader();
  const ifaces = new Map<string, Iface>();
  let pass = 0;
  return {
    name: 'network',
    cadence: 'cycle',
    async collect({ sysfs, now }) {
      const text = await sysfs.read('/proc/net/dev');
      if (text === null) throw new CollectorUnavailable('/proc/net/dev is not readable');
      pass++;
      const out: NetFacts[] = [];
      for (const c of parseNetDev(text)) {
        if (options.ignore?.test(c.iface)) continue;
        let known = ifaces.get(c.iface);
        if (known === undefined) {
          const base = `/sys/class/net/${c.iface}`;
          known = {
            operstate: '',
            operstatePath: `${base}/operstate`,
            speedPath: `${base}/speed`,
            carrierPath: `${base}/carrier_changes`,
            pass,
          };
          ifaces.set(c.iface, known);
        }
        known.pass = pass;
        const text = (await sysfs.read(known.operstatePath)) ?? 'unknown';
        // the previous string while unchanged (the common case): no new one kept per cycle
        const operstate =
          text.length === known.operstate.length + 1 && text.startsWith(known.operstate)
            ? known.operstate
            : text.trim();
        if (operstate !== known.operstate) {
          speeds.forget(known.speedPath);
          known.operstate = operstate;
        }
        const speed = await speeds.read(sysfs, known.speedPath, now); // null when down or virtual; -1 when unknown
        const facts = c as NetFacts;
        facts.operstate = operstate;
        facts.up = operstate === 'up' || (operstate === 'unknown' && c.iface === 'lo');
        facts.speedMbps = speed !== null && speed > 0 ? speed : null;
        facts.carrierChanges = await readInt(sysfs, known.carrierPath);
        out.push(facts);
      }
      for (const [name, i] of ifaces) if (i.pass !== pass) ifaces.delete(name);
      return out;
    },
  };
}
