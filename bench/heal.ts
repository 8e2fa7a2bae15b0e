/**
 * Healing benchmark: every fault class (test/faults) `--trials N` times (default 20) at a 2 s cycle, classes in
 * parallel, trials of a class in sequence. Reports detection and healing time from injection, success rate and
 * actions outside the fault's own pids/files. `--json` prints exactly one JSON object on stdout.
 *
 *   npm run bench:heal -- [--trials 20] [--cycle-ms 2000] [--only cpu-hog,disk-fills] [--json]
 */
import { Command } from 'commander';
import { FAULT_CLASSES } from '../test/faults/faults.ts';
import { runTrial, type TrialResult } from '../test/faults/trial.ts';

const opts = new Command()
  .option('--trials <n>', 'trials per fault class', '20')
  .option('--cycle-ms <ms>', 'healing cycle period', '2000')
  .option('--timeout-ms <ms>', 'a trial fails when not healed within this', '30000')
  .option('--only <names>', 'comma-separated fault classes')
  .option('--json', 'one JSON object on stdout')
  .parse()
  .opts<{ trials: string; cycleMs: string; timeoutMs: string; only?: string; json?: boolean }>();

const trials = Number(opts.trials);
const classes = opts.only ? FAULT_CLASSES.filter((f) => opts.only!.split(',').includes(f.name)) : FAULT_CLASSES;
const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};
const round = (x: number | null) => (x === null ? null : Math.round(x * 100) / 100);

const t0 = performance.now();
const perClass = await Promise.all(
  classes.map(async (fc) => {
    const rs: TrialResult[] = [];
    for (let i = 0; i < trials; i++) {
      rs.push(await runTrial(fc, { cycleMs: Number(opts.cycleMs), timeoutMs: Number(opts.timeoutMs) }));
      if (!opts.json) process.stderr.write(`${fc.name} ${i + 1}/${trials}\r`);
    }
    const detect = rs.map((r) => r.detectS).filter((x): x is number => x !== null);
    const heal = rs.map((r) => r.healS).filter((x): x is number => x !== null);
    return {
      name: fc.name,
      trials,
      detectMedianS: round(quantile(detect, 0.5)),
      detectP95S: round(quantile(detect, 0.95)),
      healMedianS: round(quantile(heal, 0.5)),
      healP95S: round(quantile(heal, 0.95)),
      successRate: rs.filter((r) => r.healed).length / trials,
      harmfulActions: rs.reduce((n, r) => n + r.harmful.length, 0),
      harmful: rs.flatMap((r) => r.harmful).slice(0, 10),
    };
  }),
);
const totalS = round((performance.now() - t0) / 1000);

if (opts.json) {
  process.stdout.write(`${JSON.stringify({ cycleMs: Number(opts.cycleMs), totalS, classes: perClass })}\n`);
} else {
  console.log(`\nheal benchmark: ${trials} trials per class, ${opts.cycleMs} ms cycle, ${totalS} s total`);
  console.log('class            detect med  p95    heal med  p95    success  harmful');
  for (const c of perClass) {
    console.log(
      `${c.name.padEnd(16)} ${String(c.detectMedianS).padStart(7)} s ${String(c.detectP95S).padStart(5)} s ${String(c.healMedianS).padStart(7)} s ${String(c.healP95S).padStart(5)} s ${(c.successRate * 100).toFixed(0).padStart(6)} % ${String(c.harmfulActions).padStart(7)}`,
    );
  }
}
