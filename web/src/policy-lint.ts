/**
 * Inline validation of policy YAML in the browser with the agent's own schema and static safety lint
 * (contract/policy/schema.ts, contract/policy/lint.ts, the same messages the server's 400 carries): YAML syntax
 * errors and every schema or lint issue become diagnostics placed on the offending node (or its nearest parent when
 * the node is missing, e.g. a required key).
 */
import { isMap, isSeq, parseDocument, type Node } from 'yaml';
import { ValidationError } from '../../contract/errors.ts';
import { validatePolicySet, type PolicySet } from '../../contract/policy/schema.ts';
import { assertLintClean } from '../../contract/policy/lint.ts';

/** A problem at a character range of the text. */
export type Diagnostic = { from: number; to: number; message: string; path: string };

function nodeAt(root: unknown, path: (string | number)[]): { node: Node | null; depth: number } {
  let node = root as Node | null;
  let depth = 0;
  for (const seg of path) {
    let next: unknown = null;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => String((p.key as { value?: unknown } | null)?.value ?? p.key) === String(seg),
      );
      next = pair ? (pair.value ?? pair.key) : null;
      if (pair && !pair.value) return { node: pair.key as Node, depth: depth + 1 };
    } else if (isSeq(node)) {
      next = node.items[Number(seg)] ?? null;
    }
    if (!next) break;
    node = next as Node;
    depth++;
  }
  return { node, depth };
}

/** Validates policy YAML; returns the parsed set when valid and every diagnostic otherwise. */
export function lintPolicy(text: string): { set: PolicySet | null; diagnostics: Diagnostic[] } {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      set: null,
      diagnostics: doc.errors.map((e) => ({
        from: e.pos[0],
        to: Math.max(e.pos[1], e.pos[0] + 1),
        message: `YAML: ${e.message.split('\n')[0]}`,
        path: '',
      })),
    };
  }
  try {
    return { set: assertLintClean(validatePolicySet(doc.toJS())), diagnostics: [] };
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return {
      set: null,
      diagnostics: err.issues.map((i) => {
        const path = i.path ? i.path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s)) : [];
        const { node, depth } = nodeAt(doc.contents, path);
        const range = node?.range ?? [0, Math.min(text.length, 1)];
        const missing = depth < path.length ? ` (missing: ${path.slice(depth).join('.')})` : '';
        return {
          from: range[0],
          to: Math.max(range[1], range[0] + 1),
          message: `${i.path || 'document'}: ${i.message}${missing}`,
          path: i.path,
        };
      }),
    };
  }
}

/** 1-based line number of a character offset. */
export function lineOf(text: string, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}
