/**
 * Binding a listener: resolves with the bound port, or rejects with a {@link PortInUseError} naming the setting that
 * chooses the port (never an unhandled 'error' event). `describePortInUse` is the one line the CLI prints for it.
 */
import type { AddressInfo, Server } from 'node:net';
import { PortInUseError } from '../contract/errors.ts';

/**
 * Pending-connection queue asked of the kernel (Node's default is 511): a fleet reconnecting at once (10,000 agents
 * after a restart) overflowed 511 and cost every overflowed agent a SYN retransmit (1 s, then 3 s, …). Linux caps it at
 * `net.core.somaxconn` (4096 by default since 5.4); raise that sysctl for larger storms.
 */
export const LISTEN_BACKLOG = 16_384;

/** Listens on `host:port` with {@link LISTEN_BACKLOG}; errors other than EADDRINUSE/EACCES are rejected as they are. */
export function listenOn(
  server: Server,
  port: number,
  host: string,
  setting: PortInUseError['setting'],
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE' || err.code === 'EACCES' ? new PortInUseError(setting, host, port, err.code) : err,
      );
    };
    server.once('error', onError);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

const FLAGS: Record<PortInUseError['setting'], { flag: string; env: string }> = {
  httpPort: { flag: '--http-port', env: 'HOMEOSTAT_HTTP_PORT' },
  mqttPort: { flag: '--mqtt-port', env: 'HOMEOSTAT_MQTT_PORT' },
  wsPort: { flag: '--ws-port', env: 'HOMEOSTAT_WS_PORT' },
};

/** One line for the operator: which port, which setting to change, e.g. for `homeostat server`. */
export function describePortInUse(e: PortInUseError, command = 'homeostat server'): string {
  const f = FLAGS[e.setting];
  const how = `set another port with ${f.flag}, ${f.env} or \`${e.setting}\` in the config file (0 = any free port)`;
  return `${command}: ${e.message}; ${how}`;
}
