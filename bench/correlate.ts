/**
 * Correlation benchmark: simulated fleet scenarios with known ground truth → correlator → scores.
 * Usage: npm run bench:correlate [-- --json] [-- --scenarios <file.json>]  (format: docs/scenarios.md)
 * Targets: compression ≥ 0.90, rootCauseAccuracy ≥ 0.90, mergedCauses = 0.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { evaluateScenario } from '../control-plane/correlate/evaluate.ts';
import { DEFAULT_SCENARIOS, simulate } from '../control-plane/correlate/simulate.ts';

const program = new Command()
  .name('bench:correlate')
  .option('--json', 'print exactly one JSON object')
  .option('--scenarios <file>', 'scenario JSON file (docs/scenarios.md); default: the built-in set')
  .parse();
const opts = program.opts<{ json?: boolean; scenarios?: string }>();

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
