/**
 * Loader for a multivariate benchmark directory in SMD/ASD layout (`train/<entity>.txt`, `test/<entity>.txt`,
 * `test_label/<entity>.txt`: comma-separated rows, no header; one 0/1 label per test row). The data path is always an
 * argument: nothing here reads a fixed location.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One entity (machine): its train and test rows and the test labels. */
export interface MvEntity {
  name: string;
  train: Float32Array[];
  test: Float32Array[];
  label: Uint8Array;
}

function rows(path: string): Float32Array[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => Float32Array.from(l.split(',').map((c) => (c.trim() === '' ? Number.NaN : Number(c)))));
}

/** Entity names in natural order (omi-2 before omi-10). @throws Error when `dir` is not in SMD/ASD layout. */
export function entityNames(dir: string): string[] {
  for (const sub of ['train', 'test', 'test_label'])
    if (!existsSync(join(dir, sub))) throw new Error(`${dir}: no ${sub}/ directory (SMD/ASD layout expected)`);
  return readdirSync(join(dir, 'test'))
    .filter((f) => f.endsWith('.txt'))
    .map((f) => f.slice(0, -4))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** Reads one entity. @throws Error when a file is missing or the label count differs from the test rows. */
export function loadEntity(dir: string, name: string): MvEntity {
  const train = rows(join(dir, 'train', `${name}.txt`));
  const test = rows(join(dir, 'test', `${name}.txt`));
  const label = Uint8Array.from(
    readFileSync(join(dir, 'test_label', `${name}.txt`), 'utf8')
      .split(/\s+/)
      .filter((c) => c !== '')
      .map(Number),
  );
  if (label.length !== test.length) throw new Error(`${name}: ${label.length} labels for ${test.length} test rows`);
  return { name, train, test, label };
}
