// The command line the three packagers share (package-agent, package-deb, package-offline): the same options, the
// result as one JSON line on stdout, a failure as one line on stderr and exit code 1.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * Runs `build` with the parsed options when `moduleUrl` is the script node was started with.
 * @param {string} moduleUrl the packager's import.meta.url
 * @param {string} name what failed, in the error line (e.g. `package:deb`)
 * @param {(o: {out?: string, dataDir?: string, version?: string, agentDir?: string, gzipLevel?: number, quiet?: boolean}) => Promise<unknown>} build
 */
export async function runPackagerCli(moduleUrl, name, build) {
  if (!process.argv[1] || resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  try {
    const { values } = parseArgs({
      options: {
        out: { type: 'string' },
        'data-dir': { type: 'string' },
        version: { type: 'string' },
        'agent-dir': { type: 'string' },
        'gzip-level': { type: 'string' },
        quiet: { type: 'boolean' },
      },
    });
    const r = await build({
      ...(values.out ? { out: resolve(values.out) } : {}),
      ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
      ...(values.version ? { version: values.version } : {}),
      ...(values['agent-dir'] ? { agentDir: resolve(values['agent-dir']) } : {}),
      ...(values['gzip-level'] ? { gzipLevel: Number(values['gzip-level']) } : {}),
      quiet: values.quiet,
    });
    process.stdout.write(`${JSON.stringify(r)}\n`);
  } catch (err) {
    const usage =
      err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')
        ? ' (options: --out DIR, --data-dir DIR, --version V, --agent-dir DIR, --gzip-level N, --quiet)'
        : '';
    process.stderr.write(`${name} failed: ${err instanceof Error ? err.message : String(err)}${usage}\n`);
    process.exit(1);
  }
}
