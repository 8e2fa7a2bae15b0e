/**
 * Host inventory via systeminformation (spawns lsblk, dmidecode, … so it runs at start and daily, never per cycle),
 * with a stable hash over the facts that identify the hardware (volatile values like uptime are left out).
 */
import { createHash } from 'node:crypto';
import si from 'systeminformation';
import type { Inventory } from './types.ts';

/** JSON with object keys sorted at every level, so equal inventories hash equally. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/** sha256 (hex) of the canonical JSON. */
export function inventoryHash(inventory: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(inventory)).digest('hex');
}

/** Reads CPU, memory, disks, NICs, kernel, OS, BIOS and board with systeminformation; failing parts become null. */
export async function readSystemInventory(): Promise<Record<string, unknown>> {
  const safe = async <T>(p: Promise<T>): Promise<T | null> => {
    try {
      return await p;
    } catch {
      return null;
    }
  };
  const [cpu, mem, layout, nics, os, bios, board, system] = await Promise.all([
    safe(si.cpu()),
    safe(si.mem()),
    safe(si.diskLayout()),
    safe(si.networkInterfaces()),
    safe(si.osInfo()),
    safe(si.bios()),
    safe(si.baseboard()),
    safe(si.system()),
  ]);
  const nicList = Array.isArray(nics) ? nics : nics ? [nics] : [];
  return {
    cpu: cpu && {
      manufacturer: cpu.manufacturer,
      brand: cpu.brand,
      cores: cpu.cores,
      physicalCores: cpu.physicalCores,
      sockets: cpu.processors,
      speedGhz: positive(cpu.speed),
      virtualization: cpu.virtualization ?? null,
    },
    memory: mem && { totalBytes: mem.total, swapBytes: mem.swaptotal },
    disks: (layout ?? []).map((d) => ({
      device: d.device,
      type: d.type,
      interface: d.interfaceType,
      model: d.name,
      vendor: d.vendor,
      serial: d.serialNum,
      firmware: d.firmwareRevision,
      sizeBytes: d.size,
    })),
    nics: nicList
      .filter((n) => !n.internal)
      .map((n) => ({ name: n.iface, mac: n.mac, type: n.type, speedMbps: positive(n.speed), virtual: n.virtual })),
    os: os && {
      platform: os.platform,
      distro: os.distro,
      release: os.release,
      kernel: os.kernel,
      arch: os.arch,
      hostname: os.hostname,
    },
    bios: bios && { vendor: bios.vendor, version: bios.version, releaseDate: bios.releaseDate },
    board: board && { manufacturer: board.manufacturer, model: board.model, serial: board.serial },
    system: system && {
      manufacturer: system.manufacturer,
      model: system.model,
      serial: system.serial,
      uuid: system.uuid,
      virtual: system.virtual,
    },
  };
}

/** Builds an Inventory message body: `read` defaults to {@link readSystemInventory}. */
export async function collectInventory(
  ts: number,
  read: () => Promise<Record<string, unknown>> = readSystemInventory,
): Promise<Inventory> {
  const inventory = await read();
  return { ts, hash: inventoryHash(inventory), inventory };
}

/** systeminformation reports unknown speeds as 0 or -1; the inventory says null instead of a fake number. */
function positive(v: number | null | undefined): number | null {
  return typeof v === 'number' && v > 0 ? v : null;
}
