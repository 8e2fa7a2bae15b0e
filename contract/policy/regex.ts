/**
 * Regular expressions in policies (`process.cmdline`) come from the network, so two defences apply:
 *
 * 1. {@link regexProblem} (lint, on the control plane at publish, in the web editor and again on the agent) refuses
 *    the shapes that make backtracking engines take exponential or high-polynomial time: nested quantifiers
 *    (`(a+)+`, `(.*){100}`), alternatives that overlap under a repeating quantifier (`(a|ab)*`), backreferences,
 *    lookaround, and repetition counts above {@link MAX_REPEAT}.
 * 2. {@link compileSafeRegex} runs what passes on re2js, a JavaScript port of RE2 whose matching time is linear in the
 *    input, so even a pattern the lint did not foresee cannot pin the agent's event loop. Callers also cap the input
 *    length (agent/heal/evaluate.ts).
 */
import { RE2JS } from 're2js';
import { truncateCodePoints } from '../truncate.ts';

/** Longest pattern accepted (UTF-16 units). */
export const MAX_PATTERN_LENGTH = 512;
/** Largest `{n,m}` count accepted. */
export const MAX_REPEAT = 100;

/** First-character set of a sub-pattern, coarse: ASCII code points, "some non-ASCII", or anything. */
interface First {
  ascii: Set<number>;
  nonAscii: boolean;
  any: boolean;
}
type Node =
  | { t: 'atom'; first: First }
  | { t: 'group'; alts: Node[][] }
  | { t: 'quant'; body: Node; min: number; max: number };

class RegexLintError extends Error {}

const none = (): First => ({ ascii: new Set(), nonAscii: false, any: false });
const anyFirst = (): First => ({ ascii: new Set(), nonAscii: true, any: true });
const chars = (...ranges: [number, number][]): First => {
  const f = none();
  for (const [a, b] of ranges) for (let c = a; c <= Math.min(b, 127); c++) f.ascii.add(c);
  if (ranges.some(([, b]) => b > 127)) f.nonAscii = true;
  return f;
};
const one = (c: number): First => chars([c, c]);
const DIGIT: [number, number][] = [[48, 57]];
const WORD: [number, number][] = [
  [48, 57],
  [65, 90],
  [95, 95],
  [97, 122],
];
const SPACE: [number, number][] = [
  [9, 13],
  [32, 32],
  [160, 0x10ffff],
];
const ESCAPED: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13, '0': 0 };

function union(a: First, b: First): First {
  return { ascii: new Set([...a.ascii, ...b.ascii]), nonAscii: a.nonAscii || b.nonAscii, any: a.any || b.any };
}
function overlaps(a: First, b: First): boolean {
  if (a.any || b.any) return true;
  if (a.nonAscii && b.nonAscii) return true;
  for (const c of a.ascii) if (b.ascii.has(c)) return true;
  return false;
}

/** A small recursive-descent reader of the JS/RE2 common syntax, enough to see the structure that matters. */
class Reader {
  i = 0;
  constructor(readonly s: string) {}

  alternation(): Node[][] {
    const alts: Node[][] = [[]];
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === ')') break;
      if (c === '|') {
        this.i++;
        alts.push([]);
        continue;
      }
      const atom = this.atom();
      alts[alts.length - 1]!.push(this.quantifier(atom));
    }
    return alts;
  }

  atom(): Node {
    const c = this.s[this.i++]!;
    if (c === '(') {
      if (
        this.s.startsWith('?=', this.i) ||
        this.s.startsWith('?!', this.i) ||
        this.s.startsWith('?<=', this.i) ||
        this.s.startsWith('?<!', this.i)
      ) {
        throw new RegexLintError('lookahead and lookbehind are not allowed (patterns run on a linear-time engine)');
      }
      if (this.s.startsWith('?:', this.i)) this.i += 2;
      else if (this.s.startsWith('?P<', this.i) || this.s.startsWith('?<', this.i)) {
        const end = this.s.indexOf('>', this.i);
        if (end < 0) throw new RegexLintError('unterminated group name');
        this.i = end + 1;
      } else if (this.s[this.i] === '?')
        throw new RegexLintError(`group flags '(?${this.s[this.i + 1] ?? ''}' are not allowed`);
      const alts = this.alternation();
      if (this.s[this.i] !== ')') throw new RegexLintError('unbalanced parenthesis');
      this.i++;
      return { t: 'group', alts };
    }
    if (c === '[') return { t: 'atom', first: this.charClass() };
    if (c === '.') return { t: 'atom', first: anyFirst() };
    if (c === '^' || c === '$') return { t: 'group', alts: [[]] }; // zero-width
    if (c === '\\') return { t: 'atom', first: this.escape(false) };
    if ('*+?'.includes(c)) throw new RegexLintError(`quantifier '${c}' has nothing to repeat`);
    const cp = this.s.codePointAt(this.i - 1)!;
    if (cp > 0xffff) this.i++;
    return { t: 'atom', first: one(cp) };
  }

  escape(inClass: boolean): First {
    const c = this.s[this.i++];
    if (c === undefined) throw new RegexLintError('trailing backslash');
    if (!inClass && ((c >= '1' && c <= '9') || (c === 'k' && this.s[this.i] === '<'))) {
      throw new RegexLintError('backreferences are not allowed (they need a backtracking engine)');
    }
    switch (c) {
      case 'd':
        return chars(...DIGIT);
      case 'w':
        return chars(...WORD);
      case 's':
        return chars(...SPACE);
      case 'D':
      case 'W':
      case 'S':
      case 'p':
      case 'P':
        return anyFirst();
      case 'b':
      case 'B':
        return none();
      case 'x': {
        const h = parseInt(this.s.slice(this.i, this.i + 2), 16);
        this.i += 2;
        return Number.isNaN(h) ? anyFirst() : one(h);
      }
      case 'u': {
        const h = parseInt(this.s.slice(this.i, this.i + 4), 16);
        this.i += 4;
        return Number.isNaN(h) ? anyFirst() : one(h);
      }
      default:
        return one(ESCAPED[c] ?? c.charCodeAt(0));
    }
  }

  charClass(): First {
    const negated = this.s[this.i] === '^';
    if (negated) this.i++;
    let f = none();
    while (this.i < this.s.length && this.s[this.i] !== ']') {
      let lo: number;
      if (this.s[this.i] === '\\') {
        this.i++;
        const e = this.escape(true);
        if (e.any || e.ascii.size !== 1) {
          f = union(f, e);
          continue;
        }
        lo = [...e.ascii][0]!;
      } else if (this.s.startsWith('[:', this.i)) {
        const end = this.s.indexOf(':]', this.i);
        this.i = end < 0 ? this.s.length : end + 2;
        f = union(f, chars([0, 127]));
        continue;
      } else {
        lo = this.s.codePointAt(this.i)!;
        this.i += lo > 0xffff ? 2 : 1;
      }
      if (this.s[this.i] === '-' && this.s[this.i + 1] !== ']' && this.i + 1 < this.s.length) {
        this.i++;
        let hi: number;
        if (this.s[this.i] === '\\') {
          this.i++;
          const e = this.escape(true);
          hi = e.ascii.size === 1 ? [...e.ascii][0]! : 0x10ffff;
        } else {
          hi = this.s.codePointAt(this.i)!;
          this.i += hi > 0xffff ? 2 : 1;
        }
        f = union(f, chars([lo, Math.max(lo, hi)]));
      } else f = union(f, chars([lo, lo]));
    }
    if (this.s[this.i] !== ']') throw new RegexLintError('unterminated character class');
    this.i++;
    return negated ? anyFirst() : f;
  }

  quantifier(body: Node): Node {
    let min: number, max: number;
    const c = this.s[this.i];
    if (c === '*') {
      min = 0;
      max = Infinity;
      this.i++;
    } else if (c === '+') {
      min = 1;
      max = Infinity;
      this.i++;
    } else if (c === '?') {
      min = 0;
      max = 1;
      this.i++;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.i));
      if (!m) return body; // a literal '{'
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (min > MAX_REPEAT || (Number.isFinite(max) && max > MAX_REPEAT))
        throw new RegexLintError(`repetition counts above ${MAX_REPEAT} are not allowed`);
      if (max < min) throw new RegexLintError(`repetition {${min},${max}} has max below min`);
      this.i += m[0].length;
    } else return body;
    if (this.s[this.i] === '?') this.i++; // lazy: same structure
    const next = this.s[this.i];
    if (next === '*' || next === '+' || next === '?')
      throw new RegexLintError('nested quantifiers (a quantifier directly after another) are not allowed');
    const node: Node = { t: 'quant', body, min, max };
    if (max > 1) checkRepeated(body);
    return node;
  }
}

function repeats(n: Node): boolean {
  if (n.t === 'atom') return false;
  if (n.t === 'quant') return n.max > 1 || repeats(n.body);
  return n.alts.some((a) => a.some(repeats));
}
function nullable(n: Node): boolean {
  if (n.t === 'atom') return false;
  if (n.t === 'quant') return n.min === 0 || nullable(n.body);
  return n.alts.some((a) => a.every(nullable));
}
function firstOf(n: Node): First {
  if (n.t === 'atom') return n.first;
  if (n.t === 'quant') return firstOf(n.body);
  return n.alts.map(firstOfSeq).reduce(union, none());
}
function firstOfSeq(seq: Node[]): First {
  let f = none();
  for (const n of seq) {
    f = union(f, firstOf(n));
    if (!nullable(n)) return f;
  }
  return { ...f, any: true }; // the sequence can match empty: it overlaps with whatever follows
}

/** Refuses a repeated body that is itself repeating, or holds overlapping alternatives. */
function checkRepeated(body: Node): void {
  if (repeats(body))
    throw new RegexLintError(
      'nested quantifiers (a repeated group that itself repeats, e.g. (a+)+ or (.*){100}) are not allowed',
    );
  const groups: Node[] = [body];
  while (groups.length) {
    const g = groups.pop()!;
    if (g.t !== 'group') continue;
    if (g.alts.length > 1) {
      const firsts = g.alts.map(firstOfSeq);
      for (let a = 0; a < firsts.length; a++)
        for (let b = a + 1; b < firsts.length; b++) {
          if (overlaps(firsts[a]!, firsts[b]!)) {
            throw new RegexLintError(
              'alternatives that can start with the same character under a repeating quantifier (e.g. (a|ab)*) are not allowed',
            );
          }
        }
    }
    for (const alt of g.alts) groups.push(...alt);
  }
}

/** Why a policy regex is refused (one sentence naming the rule), or null when it is accepted. Pure and bounded. */
export function regexProblem(source: string): string | null {
  if (source.length === 0) return 'must not be empty';
  if (source.length > MAX_PATTERN_LENGTH) return `longer than ${MAX_PATTERN_LENGTH} characters`;
  try {
    const r = new Reader(source);
    r.alternation();
    if (r.i < source.length) return 'unbalanced parenthesis';
  } catch (e) {
    if (e instanceof RegexLintError) return e.message;
    throw e;
  }
  try {
    RE2JS.compile(source);
  } catch (e) {
    return `not supported by the linear-time regex engine: ${(e as Error).message}`;
  }
  return null;
}

/** A compiled policy regex: `test` runs in time linear in the input (RE2 semantics, unanchored search). */
export interface SafeRegex {
  test(input: string): boolean;
}

/** Compiles a pattern that passed {@link regexProblem}; throws with that problem otherwise. */
export function compileSafeRegex(source: string): SafeRegex {
  const problem = regexProblem(source);
  if (problem) throw new Error(`regex '${truncateCodePoints(source, 64)}' refused: ${problem}`);
  const re = RE2JS.compile(source);
  return { test: (input) => re.matcher(input).find() };
}
