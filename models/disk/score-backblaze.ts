/**
 * Streaming scorer (I/O shell): Backblaze-format daily CSV rows in date order in, `serial_number,date,probability`
 * rows out, one per input row, in input order. Keeps one DiskHistory per serial; runs the ONNX model in batches.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import * as ort from 'onnxruntime-node';
import { readBackblazeCsv, type BackblazeRow } from './backblaze-csv.ts';
import { FEATURE_COUNT, diskFeatures } from '../../contract/models/disk/features.ts';
import { createDiskHistory, type DiskHistory } from '../../contract/models/disk/history.ts';
import { INPUT_NAME, OUTPUT_NAME } from './onnx-trees.ts';

/** Default model path: the shipped model beside this file. */
export const DEFAULT_DISK_MODEL_PATH = new URL('./disk-failure.onnx', import.meta.url).pathname;

/** Rows per inference batch. */
const BATCH = 4096;

/** Summary of one scoring run. */
export interface ScoreSummary {
  readonly rows: number;
  readonly disks: number;
}

/**
 * Scores rows (date order; header already parsed) with an ONNX session, calling `emit` per row with its probability.
 * A repeated or older date for a serial is scored without touching its history (the history only moves forward).
 */
export async function scoreRows(
  rows: AsyncIterable<BackblazeRow>,
  session: ort.InferenceSession,
  emit: (row: BackblazeRow, probability: number) => void | Promise<void>,
): Promise<ScoreSummary> {
  const histories = new Map<string, { h: DiskHistory; last: string }>();
  const pending: BackblazeRow[] = [];
  const x = new Float32Array(BATCH * FEATURE_COUNT);
  let total = 0;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const input = new ort.Tensor('float32', x.slice(0, pending.length * FEATURE_COUNT), [
      pending.length,
      FEATURE_COUNT,
    ]);
    const out = (await session.run({ [INPUT_NAME]: input }))[OUTPUT_NAME]!.data as Float32Array;
    for (let i = 0; i < pending.length; i++) await emit(pending[i]!, out[i]!);
    total += pending.length;
    pending.length = 0;
  };
  for await (const row of rows) {
    let s = histories.get(row.serial);
    if (!s) histories.set(row.serial, (s = { h: createDiskHistory(), last: '' }));
    // Out-of-order rows get features from a throwaway copy so they cannot corrupt the forward history.
    const h = row.date > s.last ? s.h : structuredClone(s.h);
    if (row.date > s.last) s.last = row.date;
    x.set(diskFeatures(h, row.reading), pending.length * FEATURE_COUNT);
    pending.push(row);
    if (pending.length === BATCH) await flush();
  }
  await flush();
  return { rows: total, disks: histories.size };
}

/**
 * Reads a Backblaze CSV (header required; any subset of `smart_N_raw` columns), writes
 * `serial_number,date,probability` (header + one line per input row) to `outputPath`.
 * `modelPath` defaults to the shipped models/disk/disk-failure.onnx.
 */
export async function scoreBackblazeCsv(
  inputPath: string,
  outputPath: string,
  modelPath: string = DEFAULT_DISK_MODEL_PATH,
): Promise<ScoreSummary> {
  const session = await ort.InferenceSession.create(modelPath);
  const out = createWriteStream(outputPath, { encoding: 'utf8' });
  try {
    out.write('serial_number,date,probability\n');
    const summary = await scoreRows(readBackblazeCsv(inputPath), session, async (row, p) => {
      if (!out.write(`${row.serial},${row.date},${p.toPrecision(6)}\n`)) await once(out, 'drain');
    });
    return summary;
  } finally {
    out.end();
    await once(out, 'finish');
    await session.release();
  }
}
