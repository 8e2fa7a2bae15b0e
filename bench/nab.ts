/**
 * NAB benchmark: runs the shipped anomaly model (ONNX graph through onnxruntime-node, univariate, one row at a time,
 * state fed back) over all 58 NAB files, scores with models/nab, prints the normalized scores beside the published
 * scoreboard and the mean inference time per sample. `--engine reference` runs the plain-TS reference instead.
 * Usage: npm run bench:nab -- --data ../shared/datasets/nab [--json] [--engine onnx|reference]
 */
import { Command } from 'commander';
import * as ort from 'onnxruntime-node';
import { resolve } from 'node:path';
import { scoreCorpus } from '../models/nab/corpus.ts';
import { defaultNabDir, hasNab, loadNab } from '../models/nab/dataset.ts';
import { buildAnomalyGraph } from '../models/anomaly/graph.ts';
import { scoreSeries } from '../models/anomaly/nab-run.ts';
import { ANOMALY_IO, DEFAULT_PARAMS, FSTATE_ROWS, GSTATE_COLS } from '../models/anomaly/reference.ts';

const SCOREBOARD = [
  ['ARTime', 74.9, 65.1, 80.4], ['Numenta HTM', 70.5, 62.6, 75.2], ['CAD OSE', 69.9, 67.0, 73.2],
  ['earthgecko Skyline', 58.2, 46.2, 63.9], ['KNN CAD', 58.0, 43.4, 64.8], ['Relative Entropy', 54.6, 47.6, 58.8],
  ['Random Cut Forest', 51.7, 38.4, 59.7], ['Twitter ADVec', 47.1, 33.6, 53.5], ['Windowed Gaussian', 39.6, 20.9, 47.4],
  ['Etsy Skyline', 35.7, 27.1, 44.5], ['Random', 11.0, 1.2, 19.5], ['Null', 0, 0, 0],
] as const;

async function scoreSeriesOnnx(session: ort.InferenceSession, values: ArrayLike<number>): Promise<{ scores: Float32Array; ns: bigint }> {
  let fs: Float32Array = new Float32Array(FSTATE_ROWS);
  let gs: Float32Array = new Float32Array(GSTATE_COLS);
  const scores = new Float32Array(values.length);
  let ns = 0n;
  for (let i = 0; i < values.length; i++) {
    const feeds = {
      [ANOMALY_IO.inputs.x]: new ort.Tensor('float32', new Float32Array([values[i]!]), [1, 1]),
      [ANOMALY_IO.inputs.fstate]: new ort.Tensor('float32', fs, [FSTATE_ROWS, 1]),
      [ANOMALY_IO.inputs.gstate]: new ort.Tensor('float32', gs, [1, GSTATE_COLS]),
    };
    const t0 = process.hrtime.bigint();
    const o = await session.run(feeds);
    ns += process.hrtime.bigint() - t0;
    scores[i] = (o[ANOMALY_IO.outputs.score]!.data as Float32Array)[0]!;
    fs = o[ANOMALY_IO.outputs.fstate]!.data as Float32Array;
    gs = o[ANOMALY_IO.outputs.gstate]!.data as Float32Array;
  }
  return { scores, ns };
}

async function main(): Promise<void> {
  const opts = new Command()
    .option('--data <dir>', 'NAB dataset directory', defaultNabDir())
    .option('--json', 'print one JSON object {standard, reward_low_FP_rate, reward_low_FN_rate, usPerSample}')
    .option('--engine <engine>', 'onnx (shipped graph via onnxruntime-node) or reference (plain TS)', 'onnx')
    .parse(process.argv).opts<{ data: string; json?: boolean; engine: string }>();
  const dir = resolve(opts.data);
  if (!hasNab(dir)) throw new Error(`--data ${dir}: not a NAB dataset (needs labels/combined_windows.json and data/)`);
  if (opts.engine !== 'onnx' && opts.engine !== 'reference') throw new Error(`--engine '${opts.engine}': allowed onnx, reference`);
  const files = loadNab(dir);
  const session = opts.engine === 'onnx'
    ? await ort.InferenceSession.create(buildAnomalyGraph(DEFAULT_PARAMS, 1).bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 })
    : undefined;
  let ns = 0n;
  let samples = 0;
  const scored = [];
  for (const f of files) {
    let scores: Float32Array;
    if (session) {
      const r = await scoreSeriesOnnx(session, f.values);
      scores = r.scores;
      ns += r.ns;
    } else {
      const t0 = process.hrtime.bigint();
      scores = scoreSeries(DEFAULT_PARAMS, f.values);
      ns += process.hrtime.bigint() - t0;
    }
    samples += f.values.length;
    scored.push({ name: f.name, windows: f.windows, scores });
  }
  const r = scoreCorpus(scored);
  const usPerSample = Number(ns) / 1000 / samples;
  const out = {
    standard: r.standard.normalized, reward_low_FP_rate: r.reward_low_FP_rate.normalized,
    reward_low_FN_rate: r.reward_low_FN_rate.normalized, usPerSample,
  };
  if (opts.json) {
    process.stdout.write(JSON.stringify(out) + '\n');
    return;
  }
  const row = (name: string, a: number, b: number, c: number) => `${name.padEnd(22)} ${a.toFixed(1).padStart(8)} ${b.toFixed(1).padStart(8)} ${c.toFixed(1).padStart(8)}`;
  console.log(`NAB v1.1, ${files.length} files, ${samples} samples, engine ${opts.engine}`);
  console.log(`${'detector'.padEnd(22)} ${'standard'.padStart(8)} ${'low FP'.padStart(8)} ${'low FN'.padStart(8)}`);
  console.log(row('Homeostat (this run)', out.standard, out.reward_low_FP_rate, out.reward_low_FN_rate) + '   <==');
  for (const [n, a, b, c] of SCOREBOARD) console.log(row(n, a, b, c));
  for (const [k, v] of Object.entries(r)) console.log(`${k}: threshold ${v.threshold.toFixed(4)}, raw ${v.raw.toFixed(2)}, TP rows ${v.tp}, FP rows ${v.fp}`);
  console.log(`inference: ${usPerSample.toFixed(2)} us/sample (${opts.engine}, mean over ${samples} samples)`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
