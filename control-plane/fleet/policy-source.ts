/**
 * Admission of a policy document as an author publishes it (POST/PUT /api/policies): validated with the agent's own
 * schema and lint (contract/policy), so what is stored is what every agent accepts. Pure.
 */
import { ValidationError } from '../../contract/errors.ts';
import { parse as parseYaml } from 'yaml';
import { parsePolicyDocument } from '../../contract/policy/schema.ts';
import { BODY_LIMITS, jsonProblem } from '../../contract/text.ts';
import { assertLintClean } from '../../contract/policy/lint.ts';
import { canonicalJson } from '../../contract/signing/canonical-json.ts';

/**
 * Validates `source` (YAML or JSON text) and returns the document to store and send in bundles: decoded as written
 * (not normalised: agents re-parse it with the same schema, and normalised forms such as durations in ms are not
 * valid input), without its `version` (the bundle sets that), keys in canonical order. Throws `ValidationError`
 * naming the path of every issue (400).
 */
export function admitPolicySource(source: string, format: 'yaml' | 'json'): Record<string, unknown> {
  assertLintClean(parsePolicyDocument(source, format)); // the agent's static checks, same messages
  const raw = (format === 'json' ? JSON.parse(source) : parseYaml(source, { logLevel: 'error' })) as Record<
    string,
    unknown
  >;
  const { version: _ignored, ...doc } = raw;
  // YAML escapes (\ud800) can decode to strings the database cannot store: refused like any body string.
  const problem = jsonProblem(doc, BODY_LIMITS);
  if (problem) throw new ValidationError([{ path: `source: ${problem.path}`, message: problem.message }], 'policy');
  return JSON.parse(canonicalJson(doc)) as Record<string, unknown>;
}
