/**
 * The selector the "Roll out…" form of an agent version starts with. A version may have an artifact per platform, and
 * each host is sent its own platform's (control-plane/fleet/rollout-service.ts): when the version covers every
 * platform the fleet reports, the whole fleet is a valid target (empty selector); otherwise the form starts narrowed to
 * the row's platform, since the control plane refuses a selector matching hosts of a platform the version lacks.
 */
export function agentRolloutSelector(
  version: string,
  platform: string,
  versions: readonly { version: string; platform: string }[],
  fleetPlatforms: Record<string, number>,
): string {
  const built = new Set(versions.filter((v) => v.version === version).map((v) => v.platform));
  const reported = Object.keys(fleetPlatforms).filter((p) => p !== 'unknown');
  return reported.every((p) => built.has(p)) ? '' : `agent.platform=${platform}`;
}
