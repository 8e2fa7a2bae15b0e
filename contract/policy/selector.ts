/** Kubernetes-style label selectors (`matchLabels`, `matchExpressions`) scoping a policy to hosts. */
import { z } from 'zod';
import { namedRecord, printable } from '../text.ts';

const labelKey = z.string().min(1).max(128).check(printable());
const labelValue = z.string().max(256).check(printable());

export const selectorSchema = z.strictObject({
  matchLabels: namedRecord(labelKey, labelValue, 'label key').default({}),
  matchExpressions: z
    .array(
      z
        .strictObject({
          key: labelKey,
          operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
          values: z.array(labelValue).max(64).default([]),
        })
        .refine((e) => (e.operator === 'In' || e.operator === 'NotIn' ? e.values.length > 0 : e.values.length === 0), {
          message: 'In/NotIn need values; Exists/DoesNotExist take none',
          path: ['values'],
        }),
    )
    .max(32)
    .default([]),
});
export type Selector = z.infer<typeof selectorSchema>;

/** True when the host labels satisfy every matchLabels entry and every expression (empty selector: all hosts). */
export function selectorMatches(sel: Selector | undefined, labels: Record<string, string>): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels)) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions) {
    const has = Object.hasOwn(labels, e.key);
    switch (e.operator) {
      case 'In':
        if (!has || !e.values.includes(labels[e.key]!)) return false;
        break;
      case 'NotIn':
        if (has && e.values.includes(labels[e.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}
