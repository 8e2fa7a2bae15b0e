/** The version compiled into the agent (an installed agent reports its install's VERSION: agent/fleet/install-layout.ts). */
export const AGENT_VERSION = '0.1.0';
