/**
 * Correlation benchmark: simulated fleet scenarios with known ground truth → correlator → scores.
 * Usage: npm run bench:correlate [-- --json] [-- --scenarios <file.json>]  (format: docs/scenarios.md)
 *        npm run bench:correlate -- --all [--seeds 5] [--json]   built-in + every bench/scenarios/*.json, a table
 *          (a row per run, then per scenario: runs meeting every target, runs without a merged cause, merged causes,
 *          mean and least accuracy, incidents; `summary` in the JSON)
 * Targets: compression ≥ 0.90, rootCauseAccuracy ≥ 0.90, mergedCauses = 0.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Command } from 'commander';
import { type CorrelationScore, evaluateScenario } from '../control-plane/correlate/evaluate.ts';
import { DEFAULT_SCENARIOS, simulate } from '../control-plane/correlate/simulate.ts';

const program = new Command()
  .name('bench:correlate')
  .option('--json', 'print exactly one JSON object')
  .option('--scenarios <file>', 'scenario JSON file (docs/scenarios.md); default: the built-in set')
  .option('--all', 'run the built-in set and every bench/scenarios/*.json; one row each')
  .option(
    '--seeds <n>',
    'with --all: also rerun each scenario with the next n − 1 seeds (other fleets and timings)',
    '1',
  )
  .parse();
const opts = program.opts<{ json?: boolean; scenarios?: string; all?: boolean; seeds: string }>();

if (opts.all) {
  const dir = new URL('./scenarios/', import.meta.url);
  const docs: [string, Record<string, unknown>][] = [['built-in', DEFAULT_SCENARIOS as Record<string, unknown>]];
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.json'))
    .sort())
    docs.push([`bench/scenarios/${f}`, JSON.parse(readFileSync(new URL(f, dir), 'utf8'))]);
  const rows: ({ scenario: string; seed: number } & CorrelationScore)[] = [];
  for (const [name, doc] of docs)
    for (let k = 0; k < Math.max(1, Number(opts.seeds)); k++) {
      const seed = ((doc['seed'] as number | undefined) ?? 1) + k;
      const { score } = evaluateScenario(simulate({ ...doc, seed } as Parameters<typeof simulate>[0]));
      rows.push({ scenario: name, seed, ...score });
    }
  const pass = (r: (typeof rows)[number]) => r.rootCauseAccuracy >= 0.9 && r.mergedCauses === 0 && r.compression >= 0.9;
  // Per scenario over its seeds: runs meeting every target, runs without a merged cause, accuracy, incidents.
  const summary = docs.map(([name]) => {
    const rs = rows.filter((r) => r.scenario === name);
    const mean = (f: (r: (typeof rows)[number]) => number) => rs.reduce((a, r) => a + f(r), 0) / rs.length;
    return {
      scenario: name,
      runs: rs.length,
      passed: rs.filter(pass).length,
      withoutMergedCause: rs.filter((r) => r.mergedCauses === 0).length,
      mergedCauses: rs.reduce((a, r) => a + r.mergedCauses, 0),
      meanAccuracy: Math.round(mean((r) => r.rootCauseAccuracy) * 10_000) / 10_000,
      leastAccuracy: Math.min(...rs.map((r) => r.rootCauseAccuracy)),
      incidents: rs.reduce((a, r) => a + r.incidents, 0),
    };
  });
  if (opts.json) process.stdout.write(JSON.stringify({ runs: rows, passed: rows.filter(pass).length, summary }) + '\n');
  else {
    console.log('scenario                                   seed  events  incidents  compression  accuracy  merged');
    for (const r of rows)
      console.log(
        `${pass(r) ? '✓' : '✗'} ${r.scenario.padEnd(40)} ${String(r.seed).padStart(4)} ${String(r.events).padStart(7)} ${String(r.incidents).padStart(10)} ${r.compression.toFixed(4).padStart(12)} ${r.rootCauseAccuracy.toFixed(4).padStart(9)} ${String(r.mergedCauses).padStart(7)}`,
      );
    console.log(`${rows.filter(pass).length} of ${rows.length} runs meet every target`);
    console.log(
      '\nscenario                                   runs  passed  no-merge  merged  mean acc  least acc  incidents',
    );
    for (const x of summary)
      console.log(
        `  ${x.scenario.padEnd(40)} ${String(x.runs).padStart(4)} ${String(x.passed).padStart(7)} ${String(x.withoutMergedCause).padStart(9)} ${String(x.mergedCauses).padStart(7)} ${x.meanAccuracy.toFixed(4).padStart(9)} ${x.leastAccuracy.toFixed(4).padStart(10)} ${String(x.incidents).padStart(10)}`,
      );
  }
  process.exit(0);
}

const doc: unknown = opts.scenarios ? JSON.parse(readFileSync(opts.scenarios, 'utf8')) : DEFAULT_SCENARIOS;
const started = performance.now();
const sim = simulate(doc as Parameters<typeof simulate>[0]);
const { score, incidents, missedCauses, secondsToIncident } = evaluateScenario(sim);
const ms = performance.now() - started;

if (opts.json) {
  process.stdout.write(JSON.stringify(score) + '\n');
} else {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  console.log(
    `scenario: ${opts.scenarios ?? 'built-in'} — ${sim.hosts.size} hosts, ${score.events} raw events (${ms.toFixed(0)} ms)`,
  );
  console.log(`incidents formed:        ${score.incidents}`);
  console.log(`compression:             ${pct(score.compression)}   (target ≥ 90%)`);
  console.log(`incident purity:         ${pct(score.purity)}`);
  console.log(`root-cause hint correct: ${pct(score.rootCauseAccuracy)}   (target ≥ 90%)`);
  console.log(`merged causes:           ${score.mergedCauses}   (target 0)`);
  console.log(`median time to incident: ${score.medianSecondsToIncident ?? 'n/a'} s`);
  console.log("\ntime from a cause's first event to its incident:");
  for (const [cause, s] of Object.entries(secondsToIncident).sort())
    console.log(`  ${cause.padEnd(44)} ${s.toFixed(0).padStart(5)} s`);
  if (missedCauses.length) console.log(`causes without an incident: ${missedCauses.join(', ')}`);
  console.log('\nincidents:');
  for (const r of incidents)
    console.log(
      `  ${r.correctHint ? '✓' : '✗'} ${r.id} ${r.hint.padEnd(38)} purity ${pct(r.purity).padStart(6)}  ${r.dominantCause}  — ${r.title}`,
    );
}
