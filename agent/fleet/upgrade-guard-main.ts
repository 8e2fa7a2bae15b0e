/**
 * The upgrade guard: the launcher (bin/homeostat-agent, packaging/package-agent.mjs) runs this small program before
 * `homeostat-agent run` loads the agent, with the same arguments. It reads the pending-upgrade record; a start of the
 * new version is counted, and when the new version used up its starts without confirming its health (it crashes at
 * start or at import) or its deadline passed, `current` is switched back to the old version here, before any of the
 * new version's agent code runs. Exit codes: 0 = run the agent; {@link EXIT_ROLLBACK} = switched back, and the path
 * of the launcher to run instead is printed on stdout (the launcher execs it). Any problem of the guard itself (no
 * config, no record, not an installed version) is exit 0: the guard never keeps an agent from running.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { configFor } from '../cli/load-config.ts';
import { installedFrom, readRecord, switchBack, writeRecord } from './install-layout.ts';
import { EXIT_ROLLBACK, guardStart } from './upgrade-record.ts';

function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' }, 'state-dir': { type: 'string' } },
    strict: false,
    allowPositionals: true,
  });
  const installed = installedFrom();
  if (!installed) return 0;
  let stateDir: string;
  try {
    const opts = {
      ...(typeof values.config === 'string' ? { config: values.config } : {}),
      ...(typeof values['state-dir'] === 'string' ? { stateDir: values['state-dir'] } : {}),
    };
    stateDir = configFor(opts).stateDir;
  } catch {
    return 0; // the agent reports its config problems itself
  }
  const record = readRecord(stateDir, (why) => process.stderr.write(`homeostat-agent upgrade guard: ${why}\n`));
  const d = guardStart(record, installed.version, Date.now());
  if (d.action === 'run') {
    if (d.write) writeRecord(stateDir, d.write);
    return 0;
  }
  switchBack(stateDir, d.write);
  process.stderr.write(`homeostat-agent upgrade guard: ${d.reason}; switched back to ${d.write.from}\n`);
  process.stdout.write(`${join(d.write.root, 'current', 'bin', 'homeostat-agent')}\n`);
  return EXIT_ROLLBACK;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`homeostat-agent upgrade guard failed (the agent starts anyway): ${(err as Error).message}\n`);
  process.exitCode = 0;
}
