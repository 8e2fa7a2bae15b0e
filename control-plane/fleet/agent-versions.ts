/**
 * Agent versions as fleet artifacts. A version is a signed agent artifact (packaging/package-agent.mjs) this control
 * plane serves under /downloads: the ones it finds or builds at start-up (control-plane/downloads/agent-artifacts.ts)
 * and the ones an admin uploads here. An upload must carry the artifact's signature by this control plane's key (the
 * `.sig` the packager wrote with the same data directory), is bounded in size and named as the packager names it;
 * it is written to `<dataDir>/downloads` (tmp + rename) and audited. A rollout of a version sends every target the
 * signed `agent-upgrade` command (contract/signing/bundle.ts): version, platform, sha256, size, the download URL and
 * the artifact's signature, all under the envelope signature the agent verifies against its pinned key. A version may
 * have one artifact per platform (linux-x64, linux-arm64): each host is sent its own platform's.
 *
 * The registry is the downloads directory itself (no table): with several replicas, upload to each, or share the
 * directory (docs/agent-install.md).
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentVersion } from '../../contract/api/agent-versions.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../contract/errors.ts';
import type { Command } from '../../contract/protocol/index.ts';
import { agentReleaseCommand } from '../../contract/signing/bundle.ts';
import type { AgentArtifacts, ServedArtifact } from '../downloads/agent-artifacts.ts';
import type { SigningKey } from '../keys/signing-key.ts';
import type { FleetContext } from './context.ts';

/** The subject of agent rollouts (one agent program per fleet). */
export const AGENT_SUBJECT = 'homeostat-agent';
// `current` and `previous` are the install root's links, never version names (contract/signing/bundle.ts)
const FILE =
  /^homeostat-agent-(?!(?:current|previous)-linux-)([0-9A-Za-z][0-9A-Za-z.+~-]{0,63})-(linux-(?:x64|arm64))\.tar\.gz$/;
/** Default upload bound (the artifact is ~40 MB: a Node.js runtime, the bundle and one native addon). */
export const MAX_AGENT_BYTES = 256 * 1024 * 1024;

export interface AgentVersionsDeps {
  ctx: FleetContext;
  artifacts: AgentArtifacts;
  key: () => SigningKey;
  /** The platform rolled out (agents on another platform refuse it, naming both). Default this machine's. */
  platform?: string;
}

export function createAgentVersions(deps: AgentVersionsDeps) {
  const platform = deps.platform ?? `${process.platform}-${process.arch}`;
  const view = (a: ServedArtifact): AgentVersion => ({
    version: a.version,
    platform: a.platform,
    file: a.file,
    sha256: a.sha256,
    size: a.size,
    url: `/downloads/${a.file}`,
  });
  /** The artifact of `version` for `want` when there is one, else this machine's platform's, else any. */
  const find = (version: string, want?: string | null): ServedArtifact => {
    const all = deps.artifacts.all().filter((a) => a.version === version);
    const a = all.find((x) => x.platform === want) ?? all.find((x) => x.platform === platform) ?? all[0];
    if (!a) throw new NotFoundError('agent version', version);
    return a;
  };
  return {
    list: (): AgentVersion[] => deps.artifacts.all().map(view),
    get: (version: string): AgentVersion => view(find(version)),
    /** The platforms `version` has an artifact for (one file per platform, the same version). */
    platforms(version: string): string[] {
      const all = deps.artifacts.all().filter((a) => a.version === version);
      if (!all.length) throw new NotFoundError('agent version', version);
      return [...new Set(all.map((a) => a.platform))].sort();
    },
    /** Registers an uploaded artifact after checking its name, size and signature. */
    async upload(name: string, bytes: Uint8Array, signature: Uint8Array, actor: string): Promise<AgentVersion> {
      const m = FILE.exec(name);
      if (!m)
        throw new ValidationError(
          [
            {
              path: 'file',
              message: 'name it as the packager does: homeostat-agent-<version>-linux-<x64|arm64>.tar.gz',
            },
          ],
          'agent upload',
        );
      if (bytes.length > MAX_AGENT_BYTES)
        throw new ValidationError([{ path: 'file', message: `larger than ${MAX_AGENT_BYTES} bytes` }], 'agent upload');
      if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b)
        throw new ValidationError([{ path: 'file', message: 'not a gzip file' }], 'agent upload');
      if (!deps.key().verify(bytes, signature))
        throw new ValidationError(
          [
            {
              path: 'signature',
              message:
                "does not verify with this control plane's key (package with --data-dir <this control plane's data dir>)",
            },
          ],
          'agent upload',
        );
      if (deps.artifacts.all().some((a) => a.file === name))
        throw new ConflictError(`agent version ${m[1]} (${m[2]}) exists; build it with a new --version`, 'exists');
      const dir = deps.artifacts.ownDir;
      mkdirSync(dir, { recursive: true }); // a control plane that never built an artifact has no downloads dir yet
      const path = join(dir, name);
      if (existsSync(path)) throw new ConflictError(`${name} exists`, 'exists');
      writeFileSync(`${path}.sig`, signature);
      writeFileSync(`${path}.upload`, bytes, { mode: 0o644 });
      renameSync(`${path}.upload`, path);
      const a = deps.artifacts.byFile(name);
      if (!a) throw new Error(`${name} vanished after upload`);
      await deps.ctx.audit.record({
        actor: `user:${actor}`,
        actorType: 'user',
        action: 'agent-version.uploaded',
        target: a.version,
        detail: { file: name, sha256: a.sha256, size: a.size },
      });
      return view(a);
    },
    /** The signed `agent-upgrade` command for a version, with the artifact of `platform` when it has one. */
    async command(version: string, platform?: string | null): Promise<Command> {
      const a = find(version, platform);
      return agentReleaseCommand(
        {
          version: a.version,
          platform: a.platform,
          sha256: a.sha256,
          size: a.size,
          url: `/downloads/${a.file}`,
          signature: a.signature.toString('base64'),
          issuedAt: deps.ctx.now(),
        },
        deps.ctx.signingKey,
      );
    },
  };
}
export type AgentVersions = ReturnType<typeof createAgentVersions>;
