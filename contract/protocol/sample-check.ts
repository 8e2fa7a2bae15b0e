/**
 * Fast admission of a telemetry message: a hand-written check of the common, well-formed sample batch that answers
 * "certainly valid" with exactly the value `TelemetryMessage.parse` would return (same fields, same key order), or
 * "not sure" (null). It never refuses anything itself: on null the caller runs the zod schema, so every refusal and
 * every error message still comes from zod (payloads.ts stays the one definition of what is valid). Anything unusual
 * (unknown keys, non-ASCII-safe text with surrogates, reserved names, out-of-range numbers, …) is "not sure".
 *
 * Why: zod spends most of ingest's CPU on a real sample (110 feature names, each through a regex and a refinement);
 * here a feature name already seen is one Set lookup, and a string one regex test.
 */
import type { Sample, TelemetryMessage } from './payloads.ts';
import { RESERVED_KEYS } from '../text.ts';

const FEATURE_NAME = /^[a-z0-9_.:/-]+$/i;
/** Any UTF-16 surrogate: a string without one (and without NUL) is well-formed without looking further. */
const SURROGATE = /[\uD800-\uDFFF]/;

/** Feature names that passed, so the next sample's same 110 names cost a lookup each; bounded (names are few). */
const KNOWN_NAMES = new Set<string>();
const KNOWN_NAMES_MAX = 4096;

function isFeatureName(k: string): boolean {
  if (KNOWN_NAMES.has(k)) return true;
  if (k.length < 1 || k.length > 128 || !FEATURE_NAME.test(k) || RESERVED_KEYS.has(k)) return false;
  if (KNOWN_NAMES.size < KNOWN_NAMES_MAX) KNOWN_NAMES.add(k);
  return true;
}

type Obj = Record<string, unknown>;

function isObject(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isText(x: unknown, max: number, min = 0): x is string {
  return typeof x === 'string' && x.length >= min && x.length <= max && !SURROGATE.test(x) && !x.includes('\u0000');
}

/** Whether `o` has no own key outside `allowed` (zod would strip it: not the common case, let zod answer). */
function onlyKeys(o: Obj, allowed: ReadonlySet<string>): boolean {
  for (const k in o) if (!allowed.has(k)) return false;
  return true;
}

const isSeq = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x > 0;
const isTs = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isUnit = (x: unknown): x is number => typeof x === 'number' && x >= 0 && x <= 1;
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

const SAMPLE_KEYS = new Set(['seq', 'ts', 'schema', 'features', 'collectors', 'scores']);
const SCORES_KEYS = new Set(['anomaly', 'disks']);
const ANOMALY_KEYS = new Set(['score', 'model', 'top', 'latencyUs']);
const CONTRIBUTION_KEYS = new Set(['feature', 'contribution', 'ratio']);
const DISK_KEYS = new Set(['device', 'serial', 'probability', 'model']);
const MESSAGE_KEYS = new Set(['v', 'samples']);

function features(x: unknown): boolean {
  if (!isObject(x)) return false;
  for (const k in x) {
    const v = x[k];
    if (!(v === null || isNum(v)) || !isFeatureName(k)) return false;
  }
  return true;
}

function collectors(x: unknown): boolean {
  if (!isObject(x)) return false;
  for (const k in x) if (!isText(k, 128) || RESERVED_KEYS.has(k) || !isText(x[k], 256)) return false;
  return true;
}

/** `Contribution` (payloads.ts) in the schema's key order, or null. */
function contribution(x: unknown): Obj | null {
  if (!isObject(x) || !onlyKeys(x, CONTRIBUTION_KEYS)) return null;
  const { feature, contribution: c, ratio } = x;
  if (typeof feature !== 'string' || !isFeatureName(feature) || !isNum(c)) return null;
  if (ratio === undefined) return { feature, contribution: c };
  if (ratio !== null && !isNum(ratio)) return null;
  return { feature, contribution: c, ratio };
}

function anomaly(x: unknown): Obj | null {
  if (!isObject(x) || !onlyKeys(x, ANOMALY_KEYS)) return null;
  const { score, model, top, latencyUs } = x;
  if (!isUnit(score) || !isText(model, 128) || !Array.isArray(top) || top.length > 16) return null;
  const outTop: Obj[] = [];
  for (const t of top) {
    const c = contribution(t);
    if (!c) return null;
    outTop.push(c);
  }
  if (latencyUs === undefined) return { score, model, top: outTop };
  if (!isNum(latencyUs) || latencyUs < 0) return null;
  return { score, model, top: outTop, latencyUs };
}

function disk(x: unknown): Obj | null {
  if (!isObject(x) || !onlyKeys(x, DISK_KEYS)) return null;
  const { device, serial, probability, model } = x;
  if (!isText(device, 256) || !isUnit(probability) || !isText(model, 128)) return null;
  if (serial === undefined) return { device, probability, model };
  if (!isText(serial, 128)) return null;
  return { device, serial, probability, model };
}

function scores(x: unknown): Obj | null {
  if (!isObject(x) || !onlyKeys(x, SCORES_KEYS)) return null;
  const out: Obj = {};
  if (x.anomaly !== undefined) {
    const a = anomaly(x.anomaly);
    if (!a) return null;
    out.anomaly = a;
  }
  if (x.disks !== undefined) {
    if (!Array.isArray(x.disks) || x.disks.length > 256) return null;
    const disks: Obj[] = [];
    for (const d of x.disks) {
      const o = disk(d);
      if (!o) return null;
      disks.push(o);
    }
    out.disks = disks;
  }
  return out;
}

/** One `Sample` as zod would return it, or null when not certainly valid. */
function sample(x: unknown): Sample | null {
  if (!isObject(x) || !onlyKeys(x, SAMPLE_KEYS)) return null;
  if (!isSeq(x.seq) || !isTs(x.ts) || !isText(x.schema, 32, 1) || !features(x.features)) return null;
  // The feature and collector records are kept as parsed (zod copies them key by key, in the same order).
  const out: Sample = { seq: x.seq, ts: x.ts, schema: x.schema, features: x.features as Sample['features'] };
  if (x.collectors !== undefined) {
    if (!collectors(x.collectors)) return null;
    out.collectors = x.collectors as Record<string, string>;
  }
  if (x.scores !== undefined) {
    const s = scores(x.scores);
    if (!s) return null;
    out.scores = s as Sample['scores'];
  }
  return out;
}

/**
 * `TelemetryMessage.parse(json)` for a JSON.parse result when it is certainly valid; null means "not sure": run the
 * zod schema (it accepts or refuses with its own messages). Never null for a well-formed agent sample batch.
 */
export function fastTelemetryMessage(json: unknown): TelemetryMessage | null {
  if (!isObject(json) || json.v !== 1 || !onlyKeys(json, MESSAGE_KEYS)) return null;
  const list = json.samples;
  if (!Array.isArray(list) || list.length < 1 || list.length > 1000) return null;
  const samples: Sample[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const s = sample(list[i]);
    if (!s) return null;
    samples[i] = s;
  }
  return { v: 1, samples };
}
