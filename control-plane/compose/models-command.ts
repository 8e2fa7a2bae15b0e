/**
 * `homeostat models score --model <card|.onnx> --input data.csv --output scores.csv`: backtests a model on a
 * recording exactly as the agent runs it (one row at a time, state carried forward).
 * - Anomaly models (stateful, input `x`): a metric CSV (see recorded-csv.ts) → `row,timestamp,score,top_feature,
 *   top_ratio,<contribution per feature>`.
 * - The disk-failure model (input `features`): Backblaze daily CSVs (date, serial_number, model, failure,
 *   smart_N_raw …) → `serial_number,date,probability`.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Option, type Command } from 'commander';
import { createAnomalyDetector } from '../../agent/infer/anomaly-detector.ts';
import { readModelFile } from '../../agent/infer/model-file.ts';
import type { InferConfig } from '../../agent/infer/config.ts';
import { INFER_ENGINES } from '../../agent/infer/config.ts';
import { createEngine } from '../../agent/infer/engines.ts';
import { checkStatefulSession } from '../../agent/infer/stateful-model.ts';
import { registerFit } from './models-fit-command.ts';
import { detectLayout, parseRow, parseTimestamp, splitCsvLine } from '../../models/cli/recorded-csv.ts';

/** Scores a metric CSV with a stateful anomaly model on `engine` (default `auto`, as the agent); returns the number
 * of rows scored. */
export async function scoreMetricCsv(
  modelPath: string,
  input: string,
  output: string,
  engine: InferConfig['engine'] = 'auto',
): Promise<{ rows: number; features: string[] }> {
  const file = await readModelFile(modelPath);
  const session = await createEngine(engine).load(file.bytes);
  checkStatefulSession(file.card, session);
  const lines = createInterface({ input: createReadStream(input, 'utf8'), crlfDelay: Infinity });
  const out = createWriteStream(output);
  let layout: ReturnType<typeof detectLayout> | null = null;
  let detector: ReturnType<typeof createAnomalyDetector> | null = null;
  let lineNo = 0;
  let rows = 0;
  for await (const raw of lines) {
    lineNo++;
    if (raw.trim() === '') continue;
    if (!layout) {
      layout = detectLayout(raw);
      detector = createAnomalyDetector(file.card, session, {
        maxFeatures: layout.names.length,
        topK: layout.names.length,
      });
      out.write(
        ['row', 'timestamp', 'score', 'top_feature', 'top_ratio', ...layout.names.map((n) => `contribution_${n}`)].join(
          ',',
        ) + '\n',
      );
      if (layout.hasHeader) continue;
    }
    const { timestamp, values } = parseRow(layout, raw, lineNo);
    const features: Record<string, number | null> = {};
    for (const [i, n] of layout.names.entries()) features[n] = values[i]!;
    const r = await detector!.step(features, timestamp ? parseTimestamp(timestamp) : undefined);
    const byName = new Map(r.top.map((e) => [e.feature, e.contribution]));
    const contributions = layout.names.map((n) => byName.get(n) ?? 0);
    out.write(
      [
        ++rows,
        timestamp ?? '',
        r.score.toFixed(6),
        r.top[0]?.feature ?? '',
        r.top[0]?.ratio?.toFixed(3) ?? '',
        ...contributions.map((c) => c.toFixed(6)),
      ].join(',') + '\n',
    );
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  await session.release();
  return { rows, features: layout?.names ?? [] };
}

async function isBackblaze(input: string): Promise<boolean> {
  const lines = createInterface({ input: createReadStream(input, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    lines.close();
    const cells = splitCsvLine(line).map((c) => c.trim());
    return cells.includes('serial_number') && cells.some((c) => /^smart_\d+_raw$/.test(c));
  }
  return false;
}

/** Registers `homeostat models …`. */
export function register(program: Command): void {
  const models = program
    .command('models')
    .description('work with the ONNX models: backtest them on recordings, refit them from fleet data');
  registerFit(models);
  models
    .command('score')
    .description(
      'score a recorded CSV with a model, one row at a time with state carried forward, exactly as the agent does',
    )
    .requiredOption('--model <path>', 'model card (.card.json) or .onnx file (its card must sit beside it)')
    .requiredOption('--input <csv>', 'metric CSV (optional header, optional timestamp column) or Backblaze daily CSV')
    .requiredOption('--output <csv>', 'where to write per-row scores')
    .addOption(
      new Option('--engine <engine>', 'what runs an anomaly model (as the agent config infer.engine)')
        .choices(INFER_ENGINES)
        .default('auto'),
    )
    .action(async (opts: { model: string; input: string; output: string; engine: InferConfig['engine'] }) => {
      if (await isBackblaze(opts.input)) {
        const file = await readModelFile(opts.model);
        if (file.card.inputs[0]?.name !== 'features')
          throw new Error(`--model: ${file.card.name} is not a disk-failure model; Backblaze CSVs need one`);
        // imported here: it needs onnxruntime-node (optional), which anomaly scoring on the JS engine does not
        const { scoreBackblazeCsv } = await import('../../models/disk/score-backblaze.ts');
        const summary = await scoreBackblazeCsv(opts.input, opts.output, file.path);
        console.error(JSON.stringify({ event: 'scored', kind: 'backblaze', ...summary, output: opts.output }));
        return;
      }
      const r = await scoreMetricCsv(opts.model, opts.input, opts.output, opts.engine);
      console.error(
        JSON.stringify({
          event: 'scored',
          kind: 'metrics',
          rows: r.rows,
          features: r.features.length,
          output: opts.output,
        }),
      );
    });
}
