/** Hardware sensors: fans, voltages and non-CPU temperatures from hwmon. */
import { CPU_TEMP_CHIPS, discoverHwmon, readHwmon, type HwmonInput } from '../hwmon.ts';
import { CollectorUnavailable, type Collector, type SensorFacts } from '../types.ts';

/** Creates the sensor collector (every cycle). Unavailable when the machine has no hwmon chips (most VMs). */
export function createSensorCollector(): Collector<'sensors'> {
  let inputs: HwmonInput[] | null = null;
  return {
    name: 'sensors',
    cadence: 'cycle',
    async collect({ sysfs }) {
      inputs ??= (await discoverHwmon(sysfs)).filter((i) => !(i.kind === 'temp' && CPU_TEMP_CHIPS.has(i.chip)));
      if (inputs.length === 0)
        throw new CollectorUnavailable('no hwmon sensors (virtual machine or no sensor driver loaded)');
      const out: SensorFacts = { fans: {}, voltages: {}, temps: {} };
      for (const i of inputs) {
        const v = await readHwmon(sysfs, i);
        if (v === null) continue;
        const key = `${i.chip}_${i.label}`;
        if (i.kind === 'fan') out.fans[key] = v;
        else if (i.kind === 'in') out.voltages[key] = v;
        else out.temps[key] = v;
      }
      return out;
    },
  };
}
