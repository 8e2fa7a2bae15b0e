/**
 * The agent artifacts this control plane serves (docs/agent-install.md). At start-up it finds them (`find`, a few
 * stat calls): in `<dataDir>/downloads` (where it builds them) and in the checkout's `dist/packages`
 * (`npm run package:agent`). On first demand (`ensure`) it builds one when none exists, by running
 * packaging/package-agent.mjs as a child process (a build script, not control-plane code; tens of seconds, once), and
 * makes sure the signature it serves is its own: a `.sig` beside the artifact that its key does not verify (made with
 * another data dir's key) is replaced by one it writes to `<dataDir>/downloads`.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { SigningKey } from '../keys/signing-key.ts';

/** An artifact ready to serve: the file, its sha256 and this control plane's signature of it. */
export type ServedArtifact = {
  platform: string;
  version: string;
  file: string;
  path: string;
  sha256: string;
  size: number;
  signature: Buffer;
};

const ARTIFACT = /^homeostat-agent-(.+)-(linux-(?:x64|arm64))\.tar\.gz$/;

/** The repository root (this file is control-plane/downloads/*.ts from source, dist/control-plane/*.mjs compiled). */
function repoRootCandidates(): string[] {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return [resolve(here, '..', '..'), resolve(here, '..')];
}

/** packaging/<name> in the checkout, or null. */
export function packagingFile(name: string): string | null {
  for (const r of repoRootCandidates()) if (existsSync(join(r, 'packaging', name))) return join(r, 'packaging', name);
  return null;
}

/** Directories searched for artifacts, first wins: `<dataDir>/downloads`, then the checkout's `dist/packages`. */
export function artifactDirs(dataDir: string): string[] {
  const dirs = [join(dataDir, 'downloads')];
  for (const r of repoRootCandidates()) if (existsSync(join(r, 'packaging'))) dirs.push(join(r, 'dist', 'packages'));
  return dirs;
}

/** Orders versions numerically where they are numbers (0.10.0 after 0.9.0). */
function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

export type AgentArtifactsOptions = {
  dataDir: string;
  signingKey: () => SigningKey;
  log: Logger;
  /** Where to look (default {@link artifactDirs}); the first is where signatures and builds are written. */
  dirs?: string[];
};

export type AgentArtifacts = ReturnType<typeof createAgentArtifacts>;

export function createAgentArtifacts(opts: AgentArtifactsOptions) {
  const dirs = opts.dirs ?? artifactDirs(opts.dataDir);
  const ownDir = dirs[0]!;
  // keyed by path; `stamp` (size, mtime, inode) tells a rebuilt file of the same name from the one hashed and signed
  const served = new Map<string, { stamp: string; artifact: ServedArtifact }>();
  let building: Promise<void> | null = null;

  /** Every artifact file across the directories (first directory wins for a file name found twice). */
  function findAll(): { dir: string; file: string; version: string; platform: string }[] {
    const all = new Map<string, { dir: string; file: string; version: string; platform: string }>();
    for (const dir of dirs) {
      let names: string[] = [];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const file of names) {
        const m = ARTIFACT.exec(file);
        if (!m || all.has(file)) continue;
        all.set(file, { dir, file, version: m[1]!, platform: m[2]! }); // both groups are mandatory in ARTIFACT
      }
    }
    return [...all.values()];
  }

  /** The newest artifact file per platform across the directories (first directory wins on a tie). */
  function find(): Map<string, { dir: string; file: string; version: string }> {
    const found = new Map<string, { dir: string; file: string; version: string }>();
    for (const hit of findAll()) {
      const prev = found.get(hit.platform);
      if (!prev || compareVersions(hit.version, prev.version) > 0) found.set(hit.platform, hit);
    }
    return found;
  }

  /** Reads, hashes and (when its .sig is not ours) signs one artifact. */
  function serve(platform: string, hit: { dir: string; file: string; version: string }): ServedArtifact {
    const path = join(hit.dir, hit.file);
    const st = statSync(path);
    const stamp = `${st.size}:${st.mtimeMs}:${st.ino}`;
    const cached = served.get(path);
    if (cached?.stamp === stamp) return cached.artifact;
    const bytes = readFileSync(path);
    const key = opts.signingKey();
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    let signature: Buffer | null = null;
    for (const sigPath of [join(ownDir, `${hit.file}.sig`), `${path}.sig`]) {
      if (!existsSync(sigPath)) continue;
      const sig = readFileSync(sigPath);
      if (key.verify(bytes, sig)) {
        signature = sig;
        break;
      }
    }
    if (!signature) {
      signature = key.sign(bytes);
      mkdirSync(ownDir, { recursive: true });
      writeFileSync(join(ownDir, `${hit.file}.sig`), signature);
      opts.log.info({ artifact: path }, 'agent artifact signed with this control plane key');
    }
    const a: ServedArtifact = {
      platform,
      version: hit.version,
      file: hit.file,
      path,
      sha256,
      size: st.size,
      signature,
    };
    served.set(path, { stamp, artifact: a });
    return a;
  }

  function build(): Promise<void> {
    const script = packagingFile('package-agent.mjs');
    if (!script) return Promise.reject(new Error('no packaging/package-agent.mjs beside this control plane'));
    opts.log.info({ out: ownDir }, 'building the agent artifact (packaging/package-agent.mjs)');
    return new Promise((res, rej) =>
      execFile(
        process.execPath,
        [script, '--out', ownDir, '--data-dir', opts.dataDir, '--quiet'],
        { timeout: 600_000, env: { ...process.env, NODE_OPTIONS: '' } },
        (err, _out, stderr) => (err ? rej(new Error(`agent artifact build failed: ${stderr || err.message}`)) : res()),
      ),
    );
  }

  return {
    /** Start-up: which artifacts exist (logged); no reading or signing yet. */
    find(): { platform: string; version: string; path: string }[] {
      const list = [...find()].map(([platform, h]) => ({ platform, version: h.version, path: join(h.dir, h.file) }));
      opts.log.info(
        { artifacts: list },
        list.length ? 'agent artifacts found' : 'no agent artifact yet (built on demand)',
      );
      return list;
    },
    /** Every artifact found, hashed and signed (read once per file; no build). */
    available(): ServedArtifact[] {
      return [...find()].map(([platform, hit]) => serve(platform, hit));
    },
    /** Every artifact found (any version), hashed and signed, newest first. */
    all(): ServedArtifact[] {
      return findAll()
        .sort((a, b) => compareVersions(b.version, a.version))
        .map((hit) => serve(hit.platform, hit));
    },
    /** One artifact by file name (`homeostat-agent-<version>-<platform>.tar.gz`), or null. */
    byFile(file: string): ServedArtifact | null {
      const hit = findAll().find((h) => h.file === file);
      return hit ? serve(hit.platform, hit) : null;
    },
    /** The directory uploads and builds are written to. */
    ownDir,
    /** The artifact for `platform`, building one first when none exists and this machine can (linux-x64 here). */
    async ensure(platform: string): Promise<ServedArtifact | null> {
      let hit = find().get(platform);
      if (!hit && platform === `${process.platform}-${process.arch}`) {
        building ??= build().finally(() => {
          building = null;
        });
        await building;
        hit = find().get(platform);
      }
      return hit ? serve(platform, hit) : null;
    },
  };
}
