/**
 * Runs one fault trial with a real healer and no control plane: temp dirs, supervised services, a real
 * observer, a cycle every `cycleMs` (first cycle at a random phase after injection), polls `healed()` every 100 ms.
 * Every signal sent and file touched by an action is checked against what the fault owns.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createHealer } from '../../agent/heal/healer.ts';
import { loadHealConfig } from '../../agent/heal/config.ts';
import { createSupervisedServiceManager } from '../../agent/heal/services/supervised.ts';
import type { HealEvent } from '../../agent/heal/types.ts';
import type { FaultClass, TrialDirs } from './faults.ts';
import { createObserver } from './observer.ts';

export interface TrialResult {
  fault: string;
  healed: boolean;
  /** Seconds from injection to the policy matching (null: never). */
  detectS: number | null;
  /** Seconds from injection to the fault being gone (null: not within the timeout). */
  healS: number | null;
  harmful: string[];
  events: HealEvent[];
}

export interface TrialOptions {
  cycleMs?: number;
  timeoutMs?: number;
  onEvents?: (e: HealEvent[]) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runTrial(fc: FaultClass, opts: TrialOptions = {}): Promise<TrialResult> {
  const cycleMs = opts.cycleMs ?? 2000;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const root = await mkdtemp(join(tmpdir(), `fault-${fc.name}-`));
  const d: TrialDirs = {
    root,
    data: join(root, 'data'),
    scripts: join(root, 'scripts'),
    id: randomBytes(4).toString('hex'),
  };
  await Promise.all([mkdir(d.data), mkdir(d.scripts), mkdir(join(root, 'state'))]);
  const config = loadHealConfig({
    stateDir: join(root, 'state'),
    allowedDirs: [d.data],
    scriptsDir: d.scripts,
    ...fc.config(d),
  });
  const services = createSupervisedServiceManager({ services: config.services, stateDir: config.stateDir });
  const harmful: string[] = [];
  let owns = { pid: (_: number) => false, file: (_: string) => false };
  const healer = await createHealer({
    config,
    serviceManager: services,
    audit: {
      signalled: (pid, sig) => {
        if (!owns.pid(pid)) harmful.push(`${sig} to pid ${pid}`);
      },
      touched: (p, op) => {
        if (!owns.file(p)) harmful.push(`${op} ${p}`);
      },
    },
  });
  const applied = healer.applyPolicySet(fc.policy(d), 'yaml');
  if (!applied.ok) throw applied.error;
  const events: HealEvent[] = [];
  let result: TrialResult | undefined;
  try {
    const inst = await fc.inject(d, services);
    owns = { pid: inst.ownsPid, file: inst.ownsFile };
    const t0 = performance.now();
    const observer = createObserver({
      ...inst.observe,
      services: inst.observe.services ? { manager: services, names: inst.observe.services } : undefined,
    });
    let detectS: number | null = null;
    let healS: number | null = null;
    let stop = false;
    const cycles = (async () => {
      await sleep(Math.random() * cycleMs);
      while (!stop) {
        const started = performance.now();
        const ev = await healer.onCycle(await observer.observe(Date.now()));
        events.push(...ev);
        opts.onEvents?.(ev);
        if (detectS === null && ev.some((e) => e.type === 'heal.matched')) detectS = (performance.now() - t0) / 1000;
        await sleep(Math.max(0, cycleMs - (performance.now() - started)));
      }
    })();
    while (performance.now() - t0 < timeoutMs) {
      if (await inst.healed()) {
        healS = (performance.now() - t0) / 1000;
        break;
      }
      await sleep(100);
    }
    stop = true;
    await cycles;
    await inst.cleanup();
    result = { fault: fc.name, healed: healS !== null, detectS, healS, harmful, events };
  } finally {
    await healer.close();
    await services.close();
    await rm(root, { recursive: true, force: true });
  }
  return result;
}
