/**
 * Agent side of model distribution: handles the `model` command. The manifest must be a signed `model-manifest`
 * envelope verifying against the pinned key. The file is downloaded over HTTP (Basic agentId:secret) straight to
 * disk while hashed (download-file.ts, bounded by the signed size and `maxBytes`), its size and sha256 checked against
 * the signed manifest, renamed into place under `dir`, then handed to the injectable
 * `swapModel` hook (the inference engine swaps without restart). On any failure the last good model stays — if the
 * swap itself failed, it is swapped back to the last good file — and the failure is reported as an event and in
 * `state`. The last good model per name is remembered in `<dir>/models.json` across restarts.
 */
import type { KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelManifestSchema, type ModelManifestPayload } from '../../contract/signing/bundle.ts';
import { IncompatibleModelError } from '../../contract/errors.ts';
import { featureSchemaProblem } from '../../contract/models/feature-schemas.ts';
import { eventBody } from '../../contract/protocol/events.ts';
import { SignatureRefusedError, verifyEnvelope } from '../../contract/signing/signature.ts';
import { DownloadSizeError, downloadToFile } from './download-file.ts';
import type { FleetState } from './fleet-state.ts';
import type { FleetEvent } from './policy-receiver.ts';

/** The signed manifest fields the agent relies on (the payload the control plane signs, control-plane/fleet/bundle.ts). */
export type ModelManifest = ModelManifestPayload;

/** A model file on disk that was swapped in successfully. */
export interface GoodModel {
  version: string;
  path: string;
  sha256: string;
}

/** Dependencies. `swapModel` loads the file into the inference engine and throws when it cannot. */
export interface ModelUpdaterDeps {
  pinnedKey: KeyObject | string;
  server: string;
  agentId: string;
  secret: string;
  dir: string;
  swapModel: (name: string, path: string, manifest: ModelManifest) => Promise<void>;
  state: FleetState;
  report: (event: FleetEvent) => void;
  fetch?: typeof fetch;
  /** Largest accepted model in bytes (default 256 MiB). */
  maxBytes?: number;
}

/** The updater: `handle` is the `model` command handler; `lastGood` reads the remembered models. */
export interface ModelUpdater {
  handle(cmd: {
    manifest: Record<string, unknown>;
  }): Promise<{ applied: string } | { refused: string; reason: string }>;
  lastGood(): Record<string, GoodModel>;
}

/** Creates the updater. */
export function createModelUpdater(deps: ModelUpdaterDeps): ModelUpdater {
  const doFetch = deps.fetch ?? fetch;
  const maxBytes = deps.maxBytes ?? 256 * 1024 * 1024;
  const indexPath = join(deps.dir, 'models.json');
  mkdirSync(deps.dir, { recursive: true, mode: 0o700 });
  let good: Record<string, GoodModel> = existsSync(indexPath)
    ? (JSON.parse(readFileSync(indexPath, 'utf8')) as Record<string, GoodModel>)
    : {};

  const remember = () => {
    writeFileSync(`${indexPath}.tmp`, JSON.stringify(good, null, 2));
    renameSync(`${indexPath}.tmp`, indexPath);
  };

  /** Streams the file to `<path>.tmp` while hashing (never whole in memory), checks it, renames it to `path`. */
  async function download(m: ModelManifest, path: string): Promise<void> {
    if (m.bytes > maxBytes) throw new Error(`model is ${m.bytes} bytes, limit ${maxBytes}`);
    const url = new URL(m.url, deps.server);
    const auth = Buffer.from(`${deps.agentId}:${deps.secret}`).toString('base64');
    const res = await doFetch(url, { headers: { authorization: `Basic ${auth}` } });
    if (!res.ok) throw new Error(`download ${url.pathname} failed: HTTP ${res.status}`);
    const tmp = `${path}.tmp`;
    let sha: string;
    try {
      sha = (await downloadToFile(res, tmp, m.bytes)).sha256;
    } catch (err) {
      // more or fewer bytes than the signed manifest says
      if (err instanceof DownloadSizeError) throw new SignatureRefusedError('tampered', err.message);
      throw err;
    }
    if (sha !== m.sha256) {
      rmSync(tmp, { force: true });
      throw new SignatureRefusedError('tampered', `sha256 ${sha} does not match the signed manifest (${m.sha256})`);
    }
    renameSync(tmp, path);
  }

  return {
    lastGood: () => structuredClone(good),
    async handle(cmd) {
      const rawVersion = (cmd.manifest['payload'] as { name?: unknown; version?: unknown } | undefined) ?? {};
      const label = `${String(rawVersion.name ?? 'unknown')}@${String(rawVersion.version ?? 'unknown')}`;
      let m: ModelManifest;
      let swapped = false;
      try {
        m = checkManifest(verifyEnvelope(cmd.manifest, deps.pinnedKey, 'model-manifest'));
        const path = join(deps.dir, `${m.name}@${m.version}.${m.sha256.slice(0, 12)}.onnx`);
        await download(m, path);
        swapped = true;
        await deps.swapModel(m.name, path, m);
        good = { ...good, [m.name]: { version: m.version, path, sha256: m.sha256 } };
        remember();
      } catch (err) {
        const reason =
          err instanceof SignatureRefusedError || err instanceof IncompatibleModelError
            ? err.reason
            : swapped
              ? 'swap-failed'
              : 'download-failed';
        const message = err instanceof Error ? err.message : String(err);
        const name = String(rawVersion.name ?? 'unknown');
        const previous = good[name];
        let fallback = 'no previous model';
        if (swapped && previous) {
          try {
            await deps.swapModel(name, previous.path, {
              ...(rawVersion as ModelManifest),
              version: previous.version,
              sha256: previous.sha256,
            });
            fallback = `kept ${name}@${previous.version}`;
          } catch (e2) {
            fallback = `fallback to ${name}@${previous.version} failed too: ${(e2 as Error).message}`;
          }
        } else if (previous) fallback = `kept ${name}@${previous.version}`;
        deps.report(
          eventBody('fleet.model-refused', {
            severity: 'warning',
            message: `model ${label} refused: ${message}; ${fallback}`,
            data: { kind: 'model', model: label, reason },
          }),
        );
        deps.state.fail(`model ${name} ${label} refused (${reason}): ${message}`);
        await deps.state.publish();
        return { refused: label, reason };
      }
      deps.state.setModel(m.name, m.version);
      deps.report(
        eventBody('fleet.model-applied', {
          severity: 'info',
          message: `model ${m.name}@${m.version} swapped in`,
          data: { model: m.name, version: m.version },
        }),
      );
      await deps.state.publish();
      return { applied: `${m.name}@${m.version}` };
    },
  };
}

/** The signed payload as the contract defines it, and a feature schema this agent feeds (checked before any
 * download, so an incompatible model costs no transfer). */
function checkManifest(p: Record<string, unknown>): ModelManifest {
  const parsed = ModelManifestSchema.safeParse(p);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ');
    throw new SignatureRefusedError('malformed', `model manifest: ${issues}`);
  }
  const m = { ...p, ...parsed.data };
  const problem = featureSchemaProblem(m.featureSchemaVersion);
  if (problem) throw new IncompatibleModelError(`${m.name}@${m.version}`, problem);
  return m;
}
