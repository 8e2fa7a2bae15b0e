/** Discovery of hwmon chips (/sys/class/hwmon) shared by the CPU and sensor collectors. */
import type { SysFs } from './types.ts';

/** One hwmon input file: kind, sysfs path of its *_input, and a feature-safe label. */
export interface HwmonInput {
  chip: string;
  kind: 'temp' | 'fan' | 'in';
  path: string;
  label: string;
}

/** Chip names of CPU temperature drivers (Intel coretemp, AMD k10temp/zenpower). */
export const CPU_TEMP_CHIPS = new Set(['coretemp', 'k10temp', 'zenpower', 'cpu_thermal']);

/** Lists every temp/fan/voltage input under /sys/class/hwmon (done once; chips do not appear at runtime). */
export async function discoverHwmon(fs: SysFs): Promise<HwmonInput[]> {
  const out: HwmonInput[] = [];
  for (const dir of (await fs.list('/sys/class/hwmon')).sort()) {
    const base = `/sys/class/hwmon/${dir}`;
    const chip = ((await fs.read(`${base}/name`)) ?? dir).trim();
    for (const f of (await fs.list(base)).sort()) {
      const m = /^(temp|fan|in)(\d+)_input$/.exec(f);
      if (!m) continue;
      const label = (await fs.read(`${base}/${m[1]}${m[2]}_label`))?.trim() ?? `${m[1]}${m[2]}`;
      out.push({ chip, kind: m[1] as HwmonInput['kind'], path: `${base}/${f}`, label: safeName(label) });
    }
  }
  return out;
}

/** Reads one input in its natural unit: °C for temp (millidegrees / 1000), rpm for fan, volts for in (mV / 1000). */
export async function readHwmon(fs: SysFs, input: HwmonInput): Promise<number | null> {
  const raw = await fs.read(input.path);
  const n = raw === null ? NaN : Number(raw.trim());
  if (!Number.isFinite(n)) return null;
  return input.kind === 'fan' ? n : n / 1000;
}

/** Lowercases and replaces characters not allowed in feature names. */
export function safeName(s: string): string {
  return (
    s
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9_.:-]+/g, '_')
      .replace(/^_+|_+$/g, '') || '_'
  );
}
