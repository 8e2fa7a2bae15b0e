/**
 * Simulated SMART facts of a demo host's disks (the agent's `facts.smart`, as agent/collect/collectors/smart.ts
 * reports it), so the demo fleet's agents run their disk-failure model and every host page shows a risk per disk.
 * Each host has an SSD (sda) and a data HDD (sdb); on one host in ten the HDD is wearing out (reallocated and pending
 * sectors, read errors), on one in twenty-five it is close to failing, so the fleet shows a spread of risks.
 */
import type { SmartDisk, SmartFacts } from '../../agent/collect/types.ts';

/** The demo host's disks as its inventory lists them. */
export function demoDisks(index: number): { device: string; model: string; serial: string }[] {
  return [
    { device: 'sda', model: 'DEMO SSD 960GB', serial: `DEMO${1000 + index}` },
    { device: 'sdb', model: 'ST4000DM000-1F2168', serial: `Z30${String(1000 + index).padStart(5, '0')}` },
  ];
}

/** How worn the data disk of host `index` is: 0 healthy, 1 wearing out, 2 close to failing. */
export function diskWear(index: number): 0 | 1 | 2 {
  return index % 25 === 7 ? 2 : index % 10 === 3 ? 1 : 0;
}

/** SMART facts of host `index` at `now` (counters grow with time on a worn disk). */
export function demoSmart(index: number, now: number, temperatureC: number): SmartFacts {
  const [ssd, hdd] = demoDisks(index) as [
    { device: string; model: string; serial: string },
    { device: string; model: string; serial: string },
  ];
  const hours = 12_000 + index * 97 + (Math.floor(now / 3_600_000) % 1000);
  const wear = diskWear(index);
  const grown = Math.floor(now / 600_000) % 50; // a worn disk remaps a few more sectors every 10 minutes
  const reallocated = wear === 2 ? 1800 + grown * 8 : wear === 1 ? 40 + grown : 0;
  const pending = wear === 2 ? 240 : wear === 1 ? 8 : 0;
  const disk = (d: { device: string; model: string; serial: string }, attributes: Record<number, number>) =>
    ({
      device: `/dev/${d.device}`,
      model: d.model,
      serial: d.serial,
      firmware: 'DM01',
      kind: 'ata',
      passed: wear < 2 || d === ssd,
      temperatureC: Math.round(temperatureC * 0.7),
      powerOnHours: hours,
      attributes,
      nvme: null,
    }) satisfies SmartDisk;
  return {
    disks: [
      disk(ssd, { 5: 0, 9: hours, 187: 0, 197: 0, 198: 0, 199: 0 }),
      disk(hdd, {
        1: wear ? 120_000 + index : 0,
        5: reallocated,
        9: hours,
        187: wear === 2 ? 60 : wear ? 2 : 0,
        188: 0,
        197: pending,
        198: pending,
        199: 0,
      }),
    ],
    skipped: {},
  };
}
