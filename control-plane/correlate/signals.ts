/**
 * Which events count as abnormal signals and how they are bucketed into symptoms ("signatures"). Only events of the
 * same symptom are tested together for a shared attribute, so a rack overheating and an unrelated crash loop on one of
 * its hosts stay apart.
 */
import type { CorrelatorEvent } from './incident.ts';

/** Event types that are signals even at severity info. */
const SIGNAL_TYPES =
  /^(anomaly\.|disk\.failure-predicted|failure\.predicted|heal\.(failed|escalated|verify-failed|refused)|presence\.offline|inference\.error|model\.(error|load-failed))/;

/** Healing bookkeeping that is never a signal even when its severity is raised (pauses, approvals waiting), and the
 * end of an anomaly alert (it clears a condition, conditions.ts). */
const NEVER =
  /^(anomaly\.ended|heal\.(paused|approval-|suppressed|matched|execute|executed|cleared|resumed)|fleet\.(policy|model)-applied|outbox\.)/;

/** Default signal filter: warnings, criticals, and the anomaly/prediction/healing-failure/offline types. */
export function defaultIsSignal(e: CorrelatorEvent): boolean {
  if (NEVER.test(e.type)) return false;
  return e.severity !== 'info' || SIGNAL_TYPES.test(e.type);
}

/**
 * Default signature: the event type, refined for anomalies by the family of the top feature (`temp.cpu0` → `temp`)
 * and for healing by the action (or policy), e.g. `anomaly.detected:temp`, `heal.escalated:restart-service`.
 */
export function defaultSignatureOf(e: CorrelatorEvent): string {
  const d = e.data ?? {};
  const feature = typeof d['feature'] === 'string' ? d['feature'] : topFeature(d);
  if (e.type.startsWith('anomaly.') && feature) return `${e.type}:${feature.split(/[._:/]/)[0]}`;
  if (e.type.startsWith('heal.')) {
    const action =
      typeof d['action'] === 'string'
        ? d['action']
        : Array.isArray(d['actions'])
          ? (d['actions'][0] as { type?: string } | undefined)?.type
          : undefined;
    const what = action ?? (typeof d['policy'] === 'string' ? d['policy'] : undefined);
    if (what) return `${e.type}:${what}`;
  }
  return e.type;
}

function topFeature(d: Record<string, unknown>): string | undefined {
  const top = d['top'];
  if (Array.isArray(top) && top.length > 0 && typeof (top[0] as { feature?: unknown }).feature === 'string')
    return (top[0] as { feature: string }).feature;
  return undefined;
}
