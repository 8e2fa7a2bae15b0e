/**
 * NAB benchmark: runs the shipped anomaly model over all 58 NAB files (univariate, state fed back every step), scores
 * with models/nab, prints the normalized scores beside the published scoreboard and the inference time per sample.
 * Engines:
 * - js (default): the model's ONNX graph through the agent's JS engine (agent/infer/js-engine.ts);
 * - onnx: the same graph through onnxruntime-node;
 * - reference: the plain-TS reference.
 * For js and onnx, `--batch` streams per call (default 32): the files are scheduled onto B lanes of the batched graph
 * (x [1,B,1], fstate [9,B,1], gstate [1,B,1], season [3,B,1]); each lane's season rows are those of its row's UTC hour
 * (CSV column 1, read as UTC; seasonalBucket), kept per lane here as the agent's driver keeps them per host; when a
 * file ends its lane's state is zeroed and the next file (longest first) starts there, as hosts come and go in a
 * fleet. B independent streams per call is legitimate batching (many hosts/metrics per call), not a change of the
 * model: the parity test proves the batched graph equals B single-stream runs. `--batch 1` runs the shipped
 * single-stream model (anomaly-uni form: one call per sample), the agent's path.
 * Time = session.run only (feeds wrap the previous outputs; no copies), divided by real samples.
 * Usage: npm run bench:nab -- --data ../shared/datasets/nab [--json] [--engine js|onnx|reference] [--batch 32]
 */
import { Command } from 'commander';
import { resolve } from 'node:path';
import { scoreCorpus } from '../models/nab/corpus.ts';
import { defaultNabDir, hasNab, loadNab } from '../models/nab/dataset.ts';
import type { NabFile } from '../models/nab/dataset.ts';
import type { ModelSession } from '../agent/infer/engine.ts';
import { createJsEngine } from '../agent/infer/js-engine.ts';
import { createOnnxEngine } from '../agent/infer/onnx-engine.ts';
import { seasonalBucket } from '../contract/models/seasonal.ts';
import { buildAnomalyGraph } from '../models/anomaly/graph.ts';
import { scoreSeries } from '../models/anomaly/nab-run.ts';
import {
  ANOMALY_IO,
  DEFAULT_PARAMS,
  FSTATE_ROWS,
  GSTATE_COLS,
  SEASON_UPDATE_EVERY_MS,
  SSTATE_ROWS,
} from '../models/anomaly/reference.ts';

const SCOREBOARD = [
  ['ARTime', 74.9, 65.1, 80.4],
  ['Numenta HTM', 70.5, 62.6, 75.2],
  ['CAD OSE', 69.9, 67.0, 73.2],
  ['earthgecko Skyline', 58.2, 46.2, 63.9],
  ['KNN CAD', 58.0, 43.4, 64.8],
  ['Relative Entropy', 54.6, 47.6, 58.8],
  ['Random Cut Forest', 51.7, 38.4, 59.7],
  ['Twitter ADVec', 47.1, 33.6, 53.5],
  ['Windowed Gaussian', 39.6, 20.9, 47.4],
  ['Etsy Skyline', 35.7, 27.1, 44.5],
  ['Random', 11.0, 1.2, 19.5],
  ['Null', 0, 0, 0],
] as const;

/** The graph on onnxruntime-node (the agent's onnxruntime engine) or on the agent's JS engine. */
function openGraph(engine: 'onnx' | 'js', bytes: Uint8Array): Promise<ModelSession> {
  return (engine === 'js' ? createJsEngine() : createOnnxEngine()).load(bytes);
}

/** Scores every file through the ONNX graph with `lanes` streams per call; returns scores, run time and call count. */
async function scoreOnnx(
  files: readonly NabFile[],
  lanes: number,
  engine: 'onnx' | 'js',
): Promise<{ scores: Float32Array[]; ns: bigint; calls: number; callUs: number[] }> {
  const B = Math.min(lanes, files.length);
  const graph = B === 1 ? buildAnomalyGraph(DEFAULT_PARAMS, 1) : buildAnomalyGraph(DEFAULT_PARAMS, 1, '', { batch: B });
  const session = await openGraph(engine, graph.bytes);
  const xDims = B === 1 ? [1, 1] : [1, B, 1];
  const fDims = B === 1 ? [FSTATE_ROWS, 1] : [FSTATE_ROWS, B, 1];
  const gDims = B === 1 ? [1, GSTATE_COLS] : [1, B, GSTATE_COLS];
  const K = DEFAULT_PARAMS.seasonBuckets;
  const sDims = B === 1 ? [SSTATE_ROWS, 1] : [SSTATE_ROWS, B, 1];
  const scores = files.map((f) => new Float32Array(f.values.length));
  const buckets = files.map((f) => Int32Array.from(f.timestamps, (t) => seasonalBucket(t, K)));
  // a bucket learns at most once per SEASON_UPDATE_EVERY_MS, as the agent's driver does (card extra.seasonal)
  const learns = files.map((f) =>
    Uint8Array.from(f.timestamps, (t, i) =>
      i === 0 || Math.floor(t / SEASON_UPDATE_EVERY_MS) !== Math.floor(f.timestamps[i - 1]! / SEASON_UPDATE_EVERY_MS)
        ? 1
        : 0,
    ),
  );
  const lane = new Int32Array(B).fill(-1); // file index per lane
  const pos = new Int32Array(B); // next row per lane
  // longest files first (LPT scheduling): the longest file bounds the number of calls
  const order = files.map((_, i) => i).sort((a, b) => files[b]!.values.length - files[a]!.values.length);
  let next = 0;
  let fs: Float32Array = new Float32Array(FSTATE_ROWS * B);
  let gs: Float32Array = new Float32Array(GSTATE_COLS * B);
  const ss = new Float32Array(B * K * SSTATE_ROWS); // every bucket of each lane: lane b at b * K * 3, [K,3] per lane
  const season = new Float32Array(SSTATE_ROWS * B); // the fed bucket of each lane: [3,B,1]
  const bucket = new Int32Array(B).fill(-1);
  const learn = new Uint8Array(B);
  const x = new Float32Array(B);
  let ns = 0n;
  let calls = 0;
  const callUs: number[] = [];
  // one untimed call: the JS engine builds (and warms up) its plan on the first run, onnxruntime its session before
  await session.run({
    [ANOMALY_IO.inputs.x]: { data: new Float32Array(B), dims: xDims },
    [ANOMALY_IO.inputs.fstate]: { data: new Float32Array(FSTATE_ROWS * B), dims: fDims },
    [ANOMALY_IO.inputs.gstate]: { data: new Float32Array(GSTATE_COLS * B), dims: gDims },
    [ANOMALY_IO.inputs.season]: { data: new Float32Array(SSTATE_ROWS * B), dims: sDims },
  });
  for (;;) {
    let active = 0;
    for (let b = 0; b < B; b++) {
      if (lane[b]! >= 0 && pos[b]! >= files[lane[b]!]!.values.length) lane[b] = -1;
      if (lane[b]! < 0 && next < files.length) {
        lane[b] = order[next++]!;
        pos[b] = 0;
        for (let r = 0; r < FSTATE_ROWS; r++) fs[r * B + b] = 0; // a new host: fresh state in this lane
        for (let c = 0; c < GSTATE_COLS; c++) gs[b * GSTATE_COLS + c] = 0;
        ss.fill(0, b * K * SSTATE_ROWS, (b + 1) * K * SSTATE_ROWS);
      }
      if (lane[b]! >= 0) {
        x[b] = files[lane[b]!]!.values[pos[b]!]!;
        bucket[b] = buckets[lane[b]!]![pos[b]!]!;
        learn[b] = learns[lane[b]!]![pos[b]!]!;
        active++;
      } else {
        x[b] = Number.NaN;
        bucket[b] = -1;
      }
      // the lane's bucket rows in (zeros for an unknown time), as the agent's driver feeds one bucket per host
      for (let r = 0; r < SSTATE_ROWS; r++)
        season[r * B + b] = bucket[b]! >= 0 ? ss[(b * K + bucket[b]!) * SSTATE_ROWS + r]! : 0;
    }
    if (active === 0) break;
    const feeds = {
      [ANOMALY_IO.inputs.x]: { data: x, dims: xDims },
      [ANOMALY_IO.inputs.fstate]: { data: fs, dims: fDims },
      [ANOMALY_IO.inputs.gstate]: { data: gs, dims: gDims },
      [ANOMALY_IO.inputs.season]: { data: season, dims: sDims },
    };
    const t0 = process.hrtime.bigint();
    const o = await session.run(feeds);
    const dt = process.hrtime.bigint() - t0;
    ns += dt;
    calls++;
    if (calls % 16 === 0) callUs.push(Number(dt) / 1000);
    const s = o[ANOMALY_IO.outputs.score]!.data;
    fs = o[ANOMALY_IO.outputs.fstate]!.data;
    gs = o[ANOMALY_IO.outputs.gstate]!.data;
    const seasonOut = o[ANOMALY_IO.outputs.season]!.data;
    for (let b = 0; b < B; b++) {
      if (lane[b]! < 0) continue;
      if (bucket[b]! >= 0 && learn[b])
        for (let r = 0; r < SSTATE_ROWS; r++) ss[(b * K + bucket[b]!) * SSTATE_ROWS + r] = seasonOut[r * B + b]!;
      scores[lane[b]!]![pos[b]!] = s[b]!;
      pos[b]!++;
    }
  }
  await session.release();
  return { scores, ns, calls, callUs };
}

async function main(): Promise<void> {
  const opts = new Command()
    .option('--data <dir>', 'NAB dataset directory', defaultNabDir())
    .option(
      '--json',
      'print one JSON object {standard, reward_low_FP_rate, reward_low_FN_rate, usPerSample, engine, batch, usPerCall}',
    )
    .option(
      '--engine <engine>',
      "js (the graph via the agent's JS engine), onnx (the graph via onnxruntime-node) or reference (plain TS)",
      'js',
    )
    .option(
      '--batch <n>',
      'onnx, js: streams per call (1 = the shipped single-stream model, one call per sample)',
      '32',
    )
    .parse(process.argv)
    .opts<{ data: string; json?: boolean; engine: string; batch: string }>();
  const dir = resolve(opts.data);
  if (!hasNab(dir)) throw new Error(`--data ${dir}: not a NAB dataset (needs labels/combined_windows.json and data/)`);
  if (opts.engine !== 'onnx' && opts.engine !== 'js' && opts.engine !== 'reference')
    throw new Error(`--engine '${opts.engine}': allowed onnx, js, reference`);
  const batch = Number(opts.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > 1024)
    throw new Error(`--batch '${opts.batch}': allowed an integer 1..1024`);
  const files = loadNab(dir);
  const samples = files.reduce((a, f) => a + f.values.length, 0);
  let ns = 0n;
  let calls = samples;
  let callUs: number[] = [];
  let scores: Float32Array[];
  if (opts.engine === 'onnx' || opts.engine === 'js') {
    ({ scores, ns, calls, callUs } = await scoreOnnx(files, batch, opts.engine));
  } else {
    scores = files.map((f) => {
      const t0 = process.hrtime.bigint();
      const s = scoreSeries(DEFAULT_PARAMS, f.values, f.timestamps);
      ns += process.hrtime.bigint() - t0;
      return s;
    });
  }
  const r = scoreCorpus(files.map((f, i) => ({ name: f.name, windows: f.windows, scores: scores[i]! })));
  const usPerSample = Number(ns) / 1000 / samples;
  const usPerCall = Number(ns) / 1000 / calls;
  const lanes = opts.engine !== 'reference' ? Math.min(batch, files.length) : 1;
  const out = {
    standard: r.standard.normalized,
    reward_low_FP_rate: r.reward_low_FP_rate.normalized,
    reward_low_FN_rate: r.reward_low_FN_rate.normalized,
    usPerSample,
    engine: opts.engine,
    batch: lanes,
    usPerCall,
  };
  if (opts.json) {
    process.stdout.write(JSON.stringify(out) + '\n');
    return;
  }
  const row = (name: string, a: number, b: number, c: number) =>
    `${name.padEnd(22)} ${a.toFixed(1).padStart(8)} ${b.toFixed(1).padStart(8)} ${c.toFixed(1).padStart(8)}`;
  console.log(
    `NAB v1.1, ${files.length} files, ${samples} samples, engine ${opts.engine}${opts.engine !== 'reference' ? `, ${lanes} stream(s) per call` : ''}`,
  );
  console.log(`${'detector'.padEnd(22)} ${'standard'.padStart(8)} ${'low FP'.padStart(8)} ${'low FN'.padStart(8)}`);
  console.log(row('Homeostat (this run)', out.standard, out.reward_low_FP_rate, out.reward_low_FN_rate) + '   <==');
  for (const [n, a, b, c] of SCOREBOARD) console.log(row(n, a, b, c));
  for (const [k, v] of Object.entries(r))
    console.log(`${k}: threshold ${v.threshold.toFixed(4)}, raw ${v.raw.toFixed(2)}, TP rows ${v.tp}, FP rows ${v.fp}`);
  console.log(`inference: ${usPerSample.toFixed(2)} us/sample (${opts.engine}, session time / ${samples} samples)`);
  if (opts.engine === 'onnx') {
    callUs.sort((a, b) => a - b);
    const pct = (p: number) => callUs[Math.min(callUs.length - 1, Math.floor(p * callUs.length))]!.toFixed(1);
    console.log(
      `per call (${lanes} stream(s)): mean ${usPerCall.toFixed(1)} us, p50 ${pct(0.5)} us, p99 ${pct(0.99)} us over ${calls} calls (percentiles from every 16th call)`,
    );
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
