/**
 * Host inventory via systeminformation (spawns lsblk, dmidecode, … so it runs after the first cycle and daily, never
 * per cycle), with a stable hash over the facts that identify the hardware (volatile values like uptime are left out).
 */
import { createHash } from 'node:crypto';
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

/** Reads the host with systeminformation (system-inventory.ts), imported on the first read: the package is the
 * largest in the agent's bundle (~700 KB of JavaScript), and compiling it at start-up held back the first cycle for
 * a read that follows it. */
export async function readSystemInventory(): Promise<Record<string, unknown>> {
  return (await import('./system-inventory.ts')).readSystemInventory();
}

/** Builds an Inventory message body: `read` defaults to {@link readSystemInventory}. */
export async function collectInventory(
  ts: number,
  read: () => Promise<Record<string, unknown>> = readSystemInventory,
): Promise<Inventory> {
  const inventory = await read();
  return { ts, hash: inventoryHash(inventory), inventory };
}
