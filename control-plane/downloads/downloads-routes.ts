/**
 * What a bare server downloads to install the agent, without authentication (nothing here is secret; the enrollment
 * token is the only secret and never passes through these routes):
 *
 * - `GET /install.sh`: packaging/install.sh with this control plane's advertised URL as its default `--server`;
 * - `GET /downloads/agent-<platform>.txt`: the manifest install.sh reads (version, file, sha256, size);
 * - `GET /downloads/<artifact>` and its `.sha256` and `.sig` (this control plane's ed25519 signature);
 * - `GET /downloads/signing-key.pub.pem`: the key install.sh pins.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import type { AgentArtifacts, ServedArtifact } from './agent-artifacts.ts';
import { packagingFile } from './agent-artifacts.ts';

export type DownloadsOptions = {
  artifacts: AgentArtifacts;
  /** The URL other servers reach this control plane at (config `advertisedUrl`, else derived). */
  advertisedUrl(): string;
  publicKeyPem(): string;
  /** The CA certificate agents pin (HTTPS on), served as /downloads/ca.pem for install.sh to check against its pin. */
  caPem?: string | undefined;
};

/** install.sh with `url` as its default server (the placeholder is a single-quoted sh string: quotes refused). */
export function renderInstallScript(template: string, url: string): string {
  if (/['\n\\]/.test(url)) throw new Error(`advertised URL ${JSON.stringify(url)} cannot be put in a shell script`);
  return template.replace("SERVER_DEFAULT='@HOMEOSTAT_SERVER_URL@'", `SERVER_DEFAULT='${url}'`);
}

const PLATFORM = /^agent-(linux-(?:x64|arm64))\.txt$/;
const ARTIFACT_FILE = /^homeostat-agent-.+-(linux-(?:x64|arm64))\.tar\.gz(\.sha256|\.sig)?$/;

const text = (body: string, status: 200 | 404 | 503 = 200) =>
  new Response(body, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' },
  });

export function downloadsRoutes(opts: DownloadsOptions): Hono {
  const app = new Hono();
  let template: string | null = null;

  const artifact = async (platform: string): Promise<ServedArtifact | Response> => {
    try {
      const a = await opts.artifacts.ensure(platform);
      return (
        a ??
        text(
          `no agent artifact for ${platform} on this control plane (docs/agent-install.md: linux-x64 is built here)\n`,
          404,
        )
      );
    } catch (err) {
      return text(`the agent artifact cannot be built: ${(err as Error).message}\n`, 503);
    }
  };

  app.get('/install.sh', (c) => {
    if (template === null) {
      const file = packagingFile('install.sh');
      if (!file) return text('install.sh is not available on this control plane (no packaging/ directory)\n', 404);
      template = readFileSync(file, 'utf8');
    }
    return c.body(renderInstallScript(template, opts.advertisedUrl()), 200, {
      'content-type': 'text/x-shellscript; charset=utf-8',
      'cache-control': 'no-cache',
    });
  });

  app.get('/downloads/:file', async (c) => {
    const file = c.req.param('file');
    if (file === 'signing-key.pub.pem') return text(opts.publicKeyPem());
    if (file === 'ca.pem') return opts.caPem ? text(opts.caPem) : text('this control plane serves plain HTTP\n', 404);
    const manifest = PLATFORM.exec(file);
    if (manifest) {
      const a = await artifact(manifest[1]!);
      if (a instanceof Response) return a;
      return text(`version=${a.version}\nfile=${a.file}\nsha256=${a.sha256}\nsize=${a.size}\n`);
    }
    const m = ARTIFACT_FILE.exec(file);
    if (!m) return text(`no download ${file}\n`, 404);
    const base = m[2] ? file.slice(0, -m[2].length) : file;
    // any registered version (agent upgrades roll older and newer ones out), else the newest, built on demand
    let a: ServedArtifact | Response | null = opts.artifacts.byFile(base);
    if (!a) {
      a = await artifact(m[1]!);
      if (a instanceof Response) return a;
      if (base !== a.file) return text(`no download ${file} (this control plane serves ${a.file})\n`, 404);
    }
    if (m[2] === '.sha256') return text(`${a.sha256}  ${a.file}\n`);
    if (m[2] === '.sig')
      return c.body(new Uint8Array(a.signature), 200, { 'content-type': 'application/octet-stream' });
    const body = Readable.toWeb(createReadStream(a.path)) as ReadableStream<Uint8Array>;
    return c.body(body, 200, {
      'content-type': 'application/gzip',
      'content-length': String(a.size),
      'cache-control': 'no-cache',
    });
  });
  return app;
}
