/** Pure parser of /proc/net/dev. */

export interface NetDevCounters {
  iface: string;
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDrops: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDrops: number;
}

/** Parses the two header lines and one "iface: 16 numbers" line per interface. */
export function parseNetDev(text: string): NetDevCounters[] {
  const out: NetDevCounters[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.includes('|')) continue;
    const n = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (n.length < 16) continue;
    out.push({
      iface: line.slice(0, colon).trim(),
      rxBytes: n[0]!,
      rxPackets: n[1]!,
      rxErrors: n[2]!,
      rxDrops: n[3]!,
      txBytes: n[8]!,
      txPackets: n[9]!,
      txErrors: n[10]!,
      txDrops: n[11]!,
    });
  }
  return out;
}
