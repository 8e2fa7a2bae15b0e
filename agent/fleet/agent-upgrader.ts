/**
 * Agent side of agent upgrades: handles the `agent-upgrade` command. The manifest must be a signed `agent-release`
 * envelope verifying against the key pinned at enrollment. The artifact is downloaded over HTTP (Basic
 * agentId:secret) into the install root, bounded by the signed size and the configured limit, and checked before
 * anything is unpacked: its length against the signed size (a truncated download), its sha256 against the signed one
 * (a tampered file), and its own ed25519 signature (the `.sig` the packager wrote) against the pinned key. It is
 * unpacked into a scratch directory, checked (VERSION, bin/node runs), then renamed to `<root>/<version>`; only then
 * is the pending-upgrade record written and `current` switched (agent/fleet/install-layout.ts). Any failure before
 * the switch removes what was written and leaves the running version untouched: a `fleet.agent-refused` event and an
 * error in `state` say why. After the switch the agent exits with {@link EXIT_UPGRADE} so its supervisor (systemd's
 * Restart=always, or any other) starts the new version; the upgrade guard and the confirmation take it from there.
 */
import { execFile } from 'node:child_process';
import { verify, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventBody } from '../../contract/protocol/events.ts';
import { AgentReleaseSchema, type AgentReleasePayload } from '../../contract/signing/bundle.ts';
import { SignatureRefusedError, toPublicKey, verifyEnvelope } from '../../contract/signing/signature.ts';
import { DownloadSizeError, downloadToFile } from './download-file.ts';
import type { FleetState } from './fleet-state.ts';
import { hostPlatform } from './platform.ts';
import { readRecord, removeRecord, switchLink, writeRecord } from './install-layout.ts';
import type { FleetEvent } from './policy-receiver.ts';
import { EXIT_UPGRADE, type UpgradeRecord } from './upgrade-record.ts';

const run = promisify(execFile);

/** Why a release was refused (the `reason` of `fleet.agent-refused`). */
export type AgentRefusal =
  | SignatureRefusedError['reason']
  | 'truncated'
  | 'too-large'
  | 'wrong-platform'
  | 'not-installed'
  | 'download-failed'
  | 'install-failed';

class Refused extends Error {
  constructor(
    readonly reason: AgentRefusal,
    message: string,
  ) {
    super(message);
  }
}

/** Dependencies; `restart` stops the agent and exits with the code (run-action.ts). */
export interface AgentUpgraderDeps {
  pinnedKey: KeyObject | string;
  server: string;
  agentId: string;
  secret: string;
  stateDir: string;
  installRoot: string;
  /** The version running now (its directory must be `<installRoot>/<running>`, to come back to). */
  running: string;
  healthCycles: number;
  windowMs: number;
  maxAttempts: number;
  maxBytes: number;
  /** Connected to the control plane now (the new version must then connect too). */
  connected: () => boolean;
  state: FleetState;
  report: (event: FleetEvent) => void;
  restart: (code: number, why: string) => void;
  now?: () => number;
  fetch?: typeof fetch;
  platform?: string;
}

/** Creates the `agent-upgrade` handler. */
export function createAgentUpgrader(deps: AgentUpgraderDeps) {
  const doFetch = deps.fetch ?? fetch;
  const now = deps.now ?? Date.now;
  const platform = deps.platform ?? hostPlatform();
  let busy = false;

  async function download(m: AgentReleasePayload, file: string): Promise<void> {
    const url = new URL(m.url, deps.server);
    const auth = Buffer.from(`${deps.agentId}:${deps.secret}`).toString('base64');
    let res: Response;
    try {
      res = await doFetch(url, { headers: { authorization: `Basic ${auth}` } });
    } catch (err) {
      throw new Refused('download-failed', `download ${url.pathname} failed: ${(err as Error).message}`);
    }
    if (!res.ok) throw new Refused('download-failed', `download ${url.pathname} failed: HTTP ${res.status}`);
    let sha: string;
    try {
      sha = (await downloadToFile(res, file, m.size)).sha256;
    } catch (err) {
      if (err instanceof DownloadSizeError) throw new Refused(err.reason, err.message);
      throw err;
    }
    if (sha !== m.sha256)
      throw new SignatureRefusedError('tampered', `sha256 ${sha} does not match the signed release (${m.sha256})`);
    // Ed25519 signs the whole message (no streaming API): the checked file is read once, after the download.
    const ok = verify(null, readFileSync(file), toPublicKey(deps.pinnedKey), Buffer.from(m.signature, 'base64'));
    if (!ok) throw new SignatureRefusedError('wrong-key', 'the artifact signature does not verify with the pinned key');
  }

  /** Unpacks into a scratch directory and moves the checked version into place; returns its directory. */
  async function unpack(m: AgentReleasePayload, file: string): Promise<string> {
    const scratch = join(deps.installRoot, `.unpack-${m.version}-${process.pid}`);
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch, { recursive: true, mode: 0o755 });
    try {
      await run('tar', ['-xzf', file, '-C', scratch, '--no-same-owner'], { timeout: 300_000 });
      const top = join(scratch, `homeostat-agent-${m.version}`);
      const v = existsSync(join(top, 'VERSION')) ? readFileSync(join(top, 'VERSION'), 'utf8').trim() : null;
      if (v !== m.version) throw new Error(`the artifact holds version ${JSON.stringify(v)}, not ${m.version}`);
      await run(join(top, 'bin', 'node'), ['--version'], { timeout: 30_000 }).catch((err: Error) => {
        throw new Error(`its Node.js runtime does not run here: ${err.message}`);
      });
      const dir = join(deps.installRoot, m.version);
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true }); // an earlier copy (e.g. rolled back)
      renameSync(top, dir);
      return dir;
    } catch (err) {
      throw new Refused('install-failed', `unpacking ${m.version} failed: ${(err as Error).message}`);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  async function refuse(label: string, reason: AgentRefusal, message: string) {
    deps.report(
      eventBody('fleet.agent-refused', {
        severity: 'warning',
        message: `agent ${label} refused: ${message}; keeping ${deps.running}`,
        data: { kind: 'agent', version: label, reason },
      }),
    );
    deps.state.fail(`agent ${label} refused (${reason}): ${message}`);
    await deps.state.publish();
  }

  return {
    async handle(cmd: {
      manifest: Record<string, unknown>;
    }): Promise<{ switched: string } | { refused: string; reason: AgentRefusal } | { ignored: string }> {
      const raw = (cmd.manifest['payload'] as { version?: unknown } | undefined) ?? {};
      const label = String(raw.version ?? 'unknown').slice(0, 64);
      if (busy) return { ignored: `an upgrade is in progress; ${label} ignored` };
      // A version not yet confirmed healthy must not become the `previous` a later failure rolls back to.
      const pending = readRecord(deps.stateDir);
      if (pending?.status === 'pending' && pending.to === deps.running)
        return { ignored: `the upgrade to ${pending.to} is not confirmed yet; ${label} ignored` };
      busy = true;
      const file = join(deps.installRoot, `.download-${process.pid}.tar.gz`);
      try {
        const m = parseRelease(verifyEnvelope(cmd.manifest, deps.pinnedKey, 'agent-release'));
        if (m.version === deps.running) {
          await deps.state.publish();
          return { ignored: `${m.version} is running already` };
        }
        if (m.platform !== platform)
          throw new Refused(
            'wrong-platform',
            `release ${m.version} is built for ${m.platform}, this host is ${platform} (os-arch[-libc]): roll it out to ${platform} hosts only`,
          );
        if (m.size > deps.maxBytes)
          throw new Refused('too-large', `release is ${m.size} bytes, limit ${deps.maxBytes}`);
        if (!existsSync(join(deps.installRoot, deps.running, 'bin', 'homeostat-agent')))
          throw new Refused(
            'not-installed',
            `this agent does not run from ${join(deps.installRoot, deps.running)} (upgrade.installRoot), so it has nothing to roll back to`,
          );
        await download(m, file);
        await unpack(m, file);
        const at = now();
        const record: UpgradeRecord = {
          v: 1,
          status: 'pending',
          from: deps.running,
          to: m.version,
          root: deps.installRoot,
          switchedAt: at,
          deadline: at + deps.windowMs,
          attempts: 0,
          maxAttempts: deps.maxAttempts,
          healthCycles: deps.healthCycles,
          requireConnected: deps.connected(),
        };
        try {
          writeRecord(deps.stateDir, record);
          switchLink(deps.installRoot, 'current', m.version);
          switchLink(deps.installRoot, 'previous', deps.running);
        } catch (err) {
          // back to where we were: the running version current, no record, no new directory
          removeRecord(deps.stateDir);
          switchLink(deps.installRoot, 'current', deps.running);
          rmSync(join(deps.installRoot, m.version), { recursive: true, force: true });
          throw new Refused('install-failed', `switching to ${m.version} failed: ${(err as Error).message}`);
        }
        deps.restart(EXIT_UPGRADE, `switched ${deps.installRoot}/current to ${m.version}; restarting into it`);
        return { switched: m.version };
      } catch (err) {
        const reason: AgentRefusal =
          err instanceof SignatureRefusedError || err instanceof Refused ? err.reason : 'install-failed';
        const message = err instanceof SignatureRefusedError ? err.message : (err as Error).message;
        await refuse(label, reason, message);
        return { refused: label, reason };
      } finally {
        rmSync(file, { force: true });
        busy = false;
      }
    },
  };
}
export type AgentUpgrader = ReturnType<typeof createAgentUpgrader>;

function parseRelease(p: Record<string, unknown>): AgentReleasePayload {
  const r = AgentReleaseSchema.safeParse(p);
  if (!r.success)
    throw new SignatureRefusedError(
      'malformed',
      `agent release needs version, platform, sha256, size, url, signature, issuedAt: ${r.error.issues.map((i) => i.path.join('.')).join(', ')}`,
    );
  return r.data as AgentReleasePayload;
}
