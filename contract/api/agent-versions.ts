/** Agent versions the control plane can roll out, as the HTTP API returns them (`/api/agent-versions…`). */
import { z } from 'zod';

/** One signed agent artifact (packaging/package-agent.mjs) served under `url`. */
export const AgentVersion = z.object({
  version: z.string(),
  platform: z.string(),
  file: z.string(),
  sha256: z.string(),
  size: z.number().int().nonnegative(),
  /** Where agents (and install.sh) download it, relative to the control plane. */
  url: z.string(),
});
export type AgentVersion = z.infer<typeof AgentVersion>;

/** `GET /api/agent-versions` (newest first), with the hosts' running versions. */
export const AgentVersionList = z.object({
  versions: z.array(AgentVersion),
  /** Hosts per running agent version (from presence). */
  running: z.record(z.string(), z.number().int().nonnegative()),
  /** Hosts per previous agent version (the version each would switch back to). */
  previous: z.record(z.string(), z.number().int().nonnegative()).default({}),
  /** Hosts per platform they report (`linux-x64`, …; `unknown` for agents that do not say): a rollout targets one. */
  platforms: z.record(z.string(), z.number().int().nonnegative()).default({}),
});
export type AgentVersionList = z.infer<typeof AgentVersionList>;
