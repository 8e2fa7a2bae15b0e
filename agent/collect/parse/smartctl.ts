/** Pure parser of `smartctl --json -a <dev>` output (smartmontools ≥ 7.0, JSON format version 1). */
import type { SmartDisk } from '../types.ts';
import { truncateCodePoints } from '../../../contract/truncate.ts';
import { HEALTH_NORMALIZED_IDS } from '../../../contract/models/disk/smart-reading.ts';

/** ATA attribute ids that predict failure (Backblaze / Google studies) plus power-on hours and temperature. */
export const SMART_ATA_IDS = [1, 5, 9, 187, 188, 194, 197, 198, 199] as const;

/** Result of parsing one device's output: a disk, or why the output holds no SMART data. */
export type SmartParse =
  | { ok: true; disk: SmartDisk; exitStatus: number }
  | { ok: false; reason: string; exitStatus: number };

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/**
 * Parses the JSON text. smartctl's exit status is a bit mask (bit 3 = "disk failing", bits 0–1 = could not run);
 * the JSON carries it in `smartctl.exit_status`, so the spawn's own code is only a fallback.
 */
export function parseSmartctl(text: string, deviceHint = 'unknown'): SmartParse {
  let j: Json;
  try {
    j = obj(JSON.parse(text));
  } catch {
    return { ok: false, reason: 'smartctl output is not JSON', exitStatus: -1 };
  }
  const meta = obj(j.smartctl);
  const exitStatus = num(meta.exit_status) ?? 0;
  const dev = obj(j.device);
  const device = str(dev.name) ?? deviceHint;
  if (exitStatus & 0b11) {
    const msgs = Array.isArray(meta.messages) ? meta.messages.map((m) => str(obj(m).string)).filter(Boolean) : [];
    return {
      ok: false,
      reason: truncateCodePoints(
        `smartctl could not read ${device}: ${msgs.join('; ') || `exit status ${exitStatus}`}`,
        200,
      ),
      exitStatus,
    };
  }
  const protocol = (str(dev.protocol) ?? '').toLowerCase();
  const kind: SmartDisk['kind'] =
    protocol === 'ata' ? 'ata' : protocol === 'nvme' ? 'nvme' : protocol === 'scsi' ? 'scsi' : 'unknown';
  const status = obj(j.smart_status);
  const passed = typeof status.passed === 'boolean' ? status.passed : exitStatus & 0b1000 ? false : null;

  const attributes: Record<number, number> = {};
  const normalized: Record<number, number> = {};
  const table = obj(j.ata_smart_attributes).table;
  if (Array.isArray(table)) {
    for (const row of table) {
      const r = obj(row);
      const id = num(r.id);
      const raw = num(obj(r.raw).value);
      const value = num(r.value);
      if (id !== null && value !== null && (HEALTH_NORMALIZED_IDS as readonly number[]).includes(id))
        normalized[id] = value;
      if (id !== null && raw !== null && (SMART_ATA_IDS as readonly number[]).includes(id)) {
        // 194 packs min/max into the upper bytes of the raw value; the low byte is the current temperature.
        attributes[id] = id === 194 || id === 190 ? raw & 0xff : raw;
      }
    }
  }
  const log = obj(j.nvme_smart_health_information_log);
  const nvme =
    kind === 'nvme' && Object.keys(log).length > 0
      ? {
          mediaErrors: num(log.media_errors) ?? 0,
          percentageUsed: num(log.percentage_used) ?? 0,
          criticalWarning: num(log.critical_warning) ?? 0,
          availableSparePct: num(log.available_spare) ?? 100,
          unsafeShutdowns: num(log.unsafe_shutdowns) ?? 0,
        }
      : null;
  const temperatureC = num(obj(j.temperature).current) ?? num(log.temperature) ?? attributes[194] ?? null;
  const powerOnHours = num(obj(j.power_on_time).hours) ?? num(log.power_on_hours) ?? attributes[9] ?? null;
  return {
    ok: true,
    exitStatus,
    disk: {
      device,
      model: str(j.model_name),
      serial: str(j.serial_number),
      firmware: str(j.firmware_version),
      kind,
      passed,
      temperatureC,
      powerOnHours,
      attributes,
      ...(Object.keys(normalized).length > 0 ? { normalized } : {}),
      nvme,
    },
  };
}
