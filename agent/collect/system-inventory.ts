/**
 * The host inventory read with systeminformation (spawns lsblk, dmidecode, …). Imported by inventory.ts when the
 * inventory is first read, not at start-up.
 */
import si from 'systeminformation';

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

/** systeminformation reports unknown speeds as 0 or -1; the inventory says null instead of a fake number. */
function positive(v: number | null | undefined): number | null {
  return typeof v === 'number' && v > 0 ? v : null;
}
