/**
 * `createControlPlane` with the fleet module attached: same options and interface, plus `fleet`. `start()` starts
 * the control plane then attaches the fleet services; `stop()` stops the fleet (timer, in-flight webhooks) first.
 * The CLI commands use this so `homeostat server|start|demo` serve the whole API behind one access control.
 */
import { loadServerConfig, type ServerConfig } from '../config/server-config.ts';
import { createControlPlane, type ControlPlane, type ControlPlaneOptions } from '../server.ts';
import { createFleetModule, type FleetModule, type FleetModuleOptions } from './fleet-module.ts';

/** A control plane with its fleet module. */
export type ControlPlaneWithFleet = ControlPlane & { readonly fleet: FleetModule };

/** The fleet options a validated server configuration sets: correlation and breaker tuning (docs/configuration.md). */
export function fleetOptionsFrom(
  config: Pick<ServerConfig, 'correlation' | 'breaker'> & Partial<Pick<ServerConfig, 'approvals'>>,
): FleetModuleOptions {
  const c = config.correlation;
  const b = config.breaker;
  return {
    ...(config.approvals ? { approvalTtlMs: config.approvals.expireAfter } : {}),
    incidents: {
      correlator: {
        windowMs: c.window,
        minGroupHosts: c.minGroupHosts,
        minScore: c.minScore,
        minLift: c.minLift,
        resolveAfterMs: c.resolveAfter,
      },
      breaker: { maxShare: b.maxShare, windowMs: b.window, minHosts: b.minHosts, holdMs: b.hold },
    },
  };
}

/** The fleet options for a control plane created from `options`: `fleetOptions`, with the correlation and breaker
 * tuning of the configuration in `options` where `fleetOptions` sets none (so those keys are never validated and then
 * ignored). */
export function resolveFleetOptions(
  options: ControlPlaneOptions,
  fleetOptions: FleetModuleOptions,
): FleetModuleOptions {
  if (fleetOptions.incidents) return fleetOptions;
  const { logger: _l, mounts: _m, middleware: _w, openIncidentsByHost: _o, fleetRoutes: _f, ...input } = options;
  const fromConfig = fleetOptionsFrom(loadServerConfig({ overrides: input, env: {} }));
  return {
    approvalTtlMs: fromConfig.approvalTtlMs!,
    ...fleetOptions,
    incidents: fromConfig.incidents!,
  };
}

/** Creates both; `fleet` options default to externalURL = the HTTP URL once listening, and to the tuning in `options`
 * (`resolveFleetOptions`). */
export async function createControlPlaneWithFleet(
  options: ControlPlaneOptions = {},
  fleetOptions: FleetModuleOptions = {},
): Promise<ControlPlaneWithFleet> {
  let externalURL = fleetOptions.externalURL ?? '';
  const fleet = createFleetModule({
    ...resolveFleetOptions(options, fleetOptions),
    get externalURL() {
      return externalURL;
    },
  } as FleetModuleOptions);
  const cp = await createControlPlane({
    ...options,
    fleetRoutes: fleet.routes,
    mounts: [...fleet.mounts, ...(options.mounts ?? [])],
    middleware: [fleet.middleware, ...(options.middleware ?? [])],
    openIncidentsByHost: fleet.openIncidentsByHost,
  });
  const wrapper = Object.create(cp) as ControlPlaneWithFleet;
  Object.defineProperties(wrapper, {
    fleet: { value: fleet },
    start: {
      value: async () => {
        const r = await cp.start();
        if (!externalURL) externalURL = r.httpUrl;
        await fleet.attach(cp, options.logger?.child({ component: 'fleet' }));
        return r;
      },
    },
    stop: {
      value: async () => {
        await fleet.stop();
        await cp.stop();
      },
    },
  });
  return wrapper;
}
