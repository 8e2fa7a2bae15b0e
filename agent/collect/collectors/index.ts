/** The default collector set for a config. */
import type { CollectConfig } from '../config.ts';
import type { Collector } from '../types.ts';
import { createCpuCollector } from './cpu.ts';
import { createDiskCollector } from './disks.ts';
import { createFilesystemCollector } from './filesystems.ts';
import { createMemoryCollector } from './memory.ts';
import { createNetworkCollector } from './network.ts';
import { createPidfileCollector } from './pidfiles.ts';
import { createProcessCollector } from './processes.ts';
import { createSensorCollector } from './sensors.ts';
import { createServiceCollector } from './services.ts';
import { createSmartCollector } from './smart.ts';

/** Builds every collector the config enables (pidfiles only when some are configured). */
export function defaultCollectors(config: CollectConfig, pageSizeBytes = 4096): Collector[] {
  const all: Collector[] = [
    createCpuCollector(),
    createMemoryCollector({ pageSizeBytes }),
    createFilesystemCollector(),
    createDiskCollector(),
    createNetworkCollector(),
    createSensorCollector(),
    createProcessCollector({ top: config.topProcesses, pageSizeBytes }),
    createServiceCollector({ units: config.services, cadence: { everySeconds: config.servicesEverySeconds } }),
    createSmartCollector({ cadence: { everySeconds: config.smartEverySeconds } }),
  ];
  if (Object.keys(config.pidfiles).length) all.push(createPidfileCollector({ pidfiles: config.pidfiles }));
  return all.filter((c) => !config.disable.includes(c.name));
}
