/**
 * Real faults, confined to a trial's temp dir and the child processes it spawns, each with the policy that
 * heals it. A fault says what it owns (pids, files) so the harness can count any action outside it as harmful.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile, rm } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { HealConfigOptions } from '../../agent/heal/config.ts';
import type { ServiceManager } from '../../agent/heal/services/service-manager.ts';
import type { ObserverSpec } from './observer.ts';
import { du } from './observer.ts';

/** What a trial gives a fault. */
export interface TrialDirs {
  root: string;
  data: string;
  scripts: string;
  id: string;
}

export interface FaultInstance {
  observe: Omit<ObserverSpec, 'services'> & { services?: string[] };
  /** The fault is gone (checked every 100 ms after injection). */
  healed(): Promise<boolean>;
  ownsPid(pid: number): boolean;
  ownsFile(path: string): boolean;
  cleanup(): Promise<void>;
}

export interface FaultClass {
  name: string;
  /** Local heal config for the trial (stateDir/allowedDirs/scriptsDir are filled in by the harness). */
  config(d: TrialDirs): Partial<HealConfigOptions>;
  policy(d: TrialDirs): string;
  /** Sets up the healthy state (if any), then injects the fault. */
  inject(d: TrialDirs, services: ServiceManager): Promise<FaultInstance>;
}

const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
function node(code: string, tag: string): ChildProcess {
  const c = spawn(process.execPath, ['-e', code, tag], { stdio: 'ignore' });
  c.on('error', () => {});
  return c;
}

/** A faulty process the harness owns: its pid, whether it still runs, and a way to end it. */
interface Culprit {
  pid: number | undefined;
  alive(): boolean;
  kill(): void;
}

/**
 * A misbehaving process that is NOT a child of the agent: the agent refuses to kill its own children (run-script
 * scripts, supervised services), and here the agent runs inside the test process. A small launcher process starts
 * the culprit, prints its pid and exits with it, so the culprit is the test's grandchild, as on a real host.
 */
async function culprit(code: string, tag: string): Promise<Culprit> {
  const launcher = spawn(
    process.execPath,
    [
      '-e',
      `
    const c = require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(code)}, ${JSON.stringify(tag)}], { stdio: 'ignore' });
    process.stdout.write(c.pid + '\\n');
    c.on('exit', () => process.exit(0));
    process.on('SIGTERM', () => { c.kill('SIGKILL'); process.exit(0); });
  `,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  launcher.on('error', () => {});
  const pid = await new Promise<number | undefined>((resolve) => {
    let buf = '';
    launcher.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(Number(buf.trim()));
    });
    launcher.on('exit', () => resolve(undefined));
  });
  return {
    pid,
    alive: () => alive(launcher),
    kill: () => {
      if (alive(launcher)) launcher.kill('SIGTERM');
    },
  };
}

function processFault(c: Culprit): FaultInstance {
  return {
    observe: { pids: () => (c.pid ? [c.pid] : []) },
    healed: async () => !c.alive(),
    ownsPid: (pid) => pid === c.pid,
    ownsFile: () => false,
    async cleanup() {
      c.kill();
    },
  };
}

const cpuHog: FaultClass = {
  name: 'cpu-hog',
  config: () => ({ allowedActions: ['kill-process'] }),
  // The cmdline names only the culprit, so a low bar harms nothing else; 25 % was out of reach for a busy loop on a
  // 2-core machine at load 17 (a runnable process gets about 2/17 of a core), and the hog then went unhealed.
  policy: (d) => `
policies:
  - name: cpu-hog
    when: { process: { cmdline: 'hog-${d.id}' }, cpuPctAbove: 5, for: 2s }
    do: [ { type: kill-process, grace: 1s } ]
    guards: { cooldown: 5s }
`,
  inject: async (d) => processFault(await culprit('for(;;){}', `hog-${d.id}`)),
};

const memoryRunaway: FaultClass = {
  name: 'memory-runaway',
  config: () => ({ allowedActions: ['kill-process'] }),
  policy: (d) => `
policies:
  - name: memory-runaway
    when: { process: { cmdline: 'mem-${d.id}' }, rssBytesAbove: 256MiB }
    do: [ { type: kill-process, grace: 1s } ]
`,
  // grows 80 MiB/s up to ~1.5 GiB
  inject: async (d) =>
    processFault(
      await culprit('const a=[];setInterval(()=>{if(a.length<96)a.push(Buffer.alloc(8<<20,1))},100)', `mem-${d.id}`),
    ),
};

function supervisedFault(name: string, d: TrialDirs, services: ServiceManager, ok: () => boolean): FaultInstance {
  return {
    observe: { pids: () => [], services: [name] },
    healed: async () => ok() && (await services.status(name)).healthy === true,
    ownsPid: () => true, // service restarts go through the ServiceManager, not signals
    ownsFile: (p) => p.startsWith(d.root),
    async cleanup() {
      await services.stop(name).catch(() => {});
    },
  };
}

const serviceDies: FaultClass = {
  name: 'service-dies',
  config: (d) => ({
    allowedActions: ['restart-service'],
    services: [{ name: `svc-${d.id}`, command: ['sleep', '600'], stopGrace: '1s' }],
  }),
  policy: (d) => `
policies:
  - name: service-dies
    when: { service: svc-${d.id} }
    do: [ { type: restart-service, service: svc-${d.id} } ]
    guards: { maxAttempts: 3, verify: { within: 10s, condition: { not: { service: svc-${d.id} } } } }
`,
  async inject(d, services) {
    const name = `svc-${d.id}`;
    await services.start(name);
    const pid = Number((await readFile(join(d.root, 'state', 'services', `${name}.pid`), 'utf8')).split('\n')[0]);
    process.kill(pid, 'SIGKILL');
    // the fault is real once the service is observably down (the kernel delivers SIGKILL asynchronously)
    for (let i = 0; i < 100 && (await services.status(name)).healthy; i++) await new Promise((r) => setTimeout(r, 10));
    return supervisedFault(name, d, services, () => true);
  },
};

const flapping: FaultClass = {
  name: 'service-flaps',
  config: (d) => ({
    allowedActions: ['restart-service', 'run-script'],
    scriptEnv: ['DATA'], // the script's only input; every other name stays refused
    services: [
      {
        name: `flap-${d.id}`,
        command: ['sh', '-c', 'if [ -e marker ]; then sleep 0.5; exit 1; fi; exec sleep 600'],
        cwd: d.data,
        stopGrace: '1s',
      },
    ],
  }),
  policy: (d) => `
policies:
  - name: service-flaps
    when: { service: flap-${d.id} }
    do:
      - { type: run-script, script: clear-stale-lock.sh, env: { DATA: '${d.data}' }, timeout: 5s }
      - { type: restart-service, service: flap-${d.id} }
    guards: { maxAttempts: 3, verify: { within: 10s, condition: { not: { service: flap-${d.id} } } } }
`,
  async inject(d, services) {
    await writeFile(join(d.scripts, 'clear-stale-lock.sh'), '#!/bin/sh\nrm -f "$DATA/marker"\n');
    await chmod(join(d.scripts, 'clear-stale-lock.sh'), 0o755);
    await writeFile(join(d.data, 'marker'), 'stale lock');
    await services.start(`flap-${d.id}`); // comes up, dies 0.5 s later, again on every plain restart
    return supervisedFault(`flap-${d.id}`, d, services, () => !existsSync(join(d.data, 'marker')));
  },
};

const CAPACITY = 64 << 20;
const diskFill: FaultClass = {
  name: 'disk-fills',
  config: () => ({ allowedActions: ['free-disk'] }),
  policy: (d) => `
policies:
  - name: disk-fills
    when: { mount: ${d.data}, freePctBelow: 20 }
    do: [ { type: free-disk, dirs: ['${d.data}/spool'], globs: ['*.tmp'], olderThan: 0s, maxBytes: 48MiB } ]
    guards: { cooldown: 2s }
`,
  async inject(d) {
    await mkdir(join(d.data, 'spool'), { recursive: true });
    await writeFile(join(d.data, 'keep.db'), Buffer.alloc(4 << 20, 1)); // must survive
    const made = new Set<string>();
    const chunk = Buffer.alloc(1 << 20, 2);
    for (let i = 0; i < 58; i++) {
      const p = join(d.data, 'spool', `chunk-${i}.tmp`);
      await writeFile(p, chunk);
      made.add(p);
    }
    return {
      observe: { pids: () => [], dirs: [{ path: d.data, capacityBytes: CAPACITY }] },
      healed: async () => du(d.data) <= CAPACITY * 0.8 && existsSync(join(d.data, 'keep.db')),
      ownsPid: () => false,
      ownsFile: (p) => made.has(p),
      async cleanup() {
        await rm(join(d.data, 'spool'), { recursive: true, force: true });
      },
    };
  },
};

const LOG_LIMIT = 4 << 20;
const logGrowth: FaultClass = {
  name: 'log-grows',
  config: () => ({ allowedActions: ['rotate-log'] }),
  policy: (d) => `
policies:
  - name: log-grows
    when: { feature: 'log.${d.id}.bytes', op: '>', value: ${LOG_LIMIT} }
    do: [ { type: rotate-log, path: '${d.data}/app.log', keep: 2, copytruncate: true } ]
`,
  async inject(d) {
    const log = join(d.data, 'app.log');
    // a writer that never stops: 512 KiB every 250 ms through an O_APPEND descriptor
    const child = node(
      `const fs=require('fs');const fd=fs.openSync(${JSON.stringify(log)},'a');const b=Buffer.alloc(512<<10,120);setInterval(()=>fs.writeSync(fd,b),250)`,
      `log-${d.id}`,
    );
    const own = new Set([log, `${log}.1`, `${log}.2`]);
    let seenBig = false;
    return {
      observe: { pids: () => [], fileSizes: { [`log.${d.id}.bytes`]: log } },
      async healed() {
        let size = 0;
        try {
          size = statSync(log).size;
        } catch {
          /* not yet */
        }
        if (size > LOG_LIMIT) seenBig = true;
        return seenBig && size < LOG_LIMIT;
      },
      ownsPid: () => false,
      ownsFile: (p) => own.has(p),
      async cleanup() {
        if (alive(child)) child.kill('SIGKILL');
      },
    };
  },
};

/** Every fault class, in report order. */
export const FAULT_CLASSES: FaultClass[] = [cpuHog, memoryRunaway, serviceDies, flapping, diskFill, logGrowth];
