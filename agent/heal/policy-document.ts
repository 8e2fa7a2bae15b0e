/**
 * The agent's verdict on a policy document, wherever it comes from (a signed bundle's document, text handed to the
 * healer, the last-known-good cache on disk): the shared schema, then the shared lint, the same checks the control
 * plane runs at publish (control-plane/fleet/policy-source.ts). The host's own allow-list comes after (permit.ts).
 * Pure.
 */
import { parsePolicyDocument, validatePolicySet, type PolicySet } from '../../contract/policy/schema.ts';
import { assertLintClean } from '../../contract/policy/lint.ts';

/**
 * Validates and lints a policy document: text in `format` (default YAML), or an already-decoded object (a bundle's
 * `document` with its `version`). Throws `ValidationError` ("invalid policy document: <path>: <rule>; …").
 */
export function checkPolicyDocument(doc: string | object, format: 'yaml' | 'json' = 'yaml'): PolicySet {
  return assertLintClean(typeof doc === 'string' ? parsePolicyDocument(doc, format) : validatePolicySet(doc));
}
