/**
 * Connection admission for the broker's listeners (TCP/TLS and WebSocket): a total cap and a per-address cap, checked
 * when a connection opens, before any MQTT byte is read. Together with Aedes' `connectTimeout` (a connection that sends
 * no CONNECT in time is closed) this bounds what idle or hostile sockets can hold. Pure bookkeeping; the broker calls
 * `admit` on open and the returned `release` on close.
 */

/** Limits; see docs/configuration.md (`broker.*`). */
export type ConnectionLimits = { maxConnections: number; maxConnectionsPerAddress: number };

export type Admission = { ok: true; release: () => void } | { ok: false; reason: 'total-cap' | 'per-address-cap' };

export type ConnectionGate = {
  admit(address: string | undefined): Admission;
  /** Open connections now (total). */
  readonly open: number;
};

/** IPv4-mapped IPv6 (`::ffff:1.2.3.4`) counts as its IPv4 address. */
function normalise(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export function createConnectionGate(limits: ConnectionLimits): ConnectionGate {
  const byAddress = new Map<string, number>();
  let open = 0;
  return {
    get open() {
      return open;
    },
    admit(address) {
      const key = normalise(address);
      const n = byAddress.get(key) ?? 0;
      if (open >= limits.maxConnections) return { ok: false, reason: 'total-cap' };
      if (n >= limits.maxConnectionsPerAddress) return { ok: false, reason: 'per-address-cap' };
      open++;
      byAddress.set(key, n + 1);
      let released = false;
      return {
        ok: true,
        release() {
          if (released) return;
          released = true;
          open--;
          const left = (byAddress.get(key) ?? 1) - 1;
          if (left <= 0) byAddress.delete(key);
          else byAddress.set(key, left);
        },
      };
    },
  };
}
