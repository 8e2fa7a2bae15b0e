/**
 * Rollouts of one kind (and subject), newest first. A wave whose health gate decided shows what the gate saw (frozen:
 * how many of its hosts had acknowledged, and the verdict), never recomputed from today's hosts; only the wave being
 * soaked counts acknowledgements live from the hosts' reported versions. Health-gate results read as words.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, keys, sendableModels } from '../api/api.ts';
import type { Host, Rollout } from '../api/types.ts';
import {
  gateInWords,
  historyWords,
  isFinished,
  revertLabel,
  versionWords,
  waveRow,
  type WaveRow,
} from '../rollout-words.ts';

type RolloutAction = 'halt' | 'rollback' | 'resume';
import { useCan } from '../session.tsx';
import { Empty, ErrorBox, Progress, Time } from './common.tsx';
import { SoakStatus } from './soak-status.tsx';
import { CanaryComparison } from './canary-comparison.tsx';

/** Each kind's heading: the Models page shows model and agent rollouts, which need names of their own. */
const TITLES: Record<Rollout['kind'], string> = {
  policy: 'Policy rollouts',
  model: 'Model rollouts',
  agent: 'Agent rollouts',
};

/** Rollouts of one kind (and subject), newest first, with per-wave progress, halt and roll back. */
export function Rollouts({ kind, subject }: { kind: Rollout['kind']; subject?: string | undefined }) {
  const client = useQueryClient();
  const canAct = useCan('operator');
  const rollouts = useQuery({ queryKey: keys.rollouts, queryFn: api.rollouts, refetchInterval: 5_000 });
  const hosts = useQuery({ queryKey: keys.hosts, queryFn: api.hosts, refetchInterval: 5_000 });
  // A model rollout rolls back to a version the control plane can send: registered, or bundled with the agent.
  const models = useQuery({
    queryKey: keys.models,
    queryFn: api.modelList,
    select: sendableModels,
    enabled: kind === 'model',
  });
  const registered = kind === 'model' && models.data ? models.data : null;
  const act = useMutation({
    mutationFn: ({ id, action }: { id: string; action: RolloutAction }) => api.rolloutAction(id, action),
    onSettled: () => {
      void client.invalidateQueries({ queryKey: keys.rollouts });
      void client.invalidateQueries({ queryKey: keys.policies });
    },
  });
  const list = (rollouts.data ?? [])
    .filter((r) => r.kind === kind && (!subject || r.subject === subject))
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))
    .slice(0, 10);
  return (
    <section aria-labelledby={`${kind}-rollouts`}>
      <h2 id={`${kind}-rollouts`}>{TITLES[kind]}</h2>
      <ErrorBox error={rollouts.error} title="Cannot load rollouts" />
      <ErrorBox error={act.error} />
      {list.length === 0 ? (
        <Empty>No rollouts yet.</Empty>
      ) : (
        list.map((r) => (
          <RolloutCard
            key={r.id}
            rollout={r}
            hosts={hosts.data ?? []}
            busy={act.isPending}
            canAct={canAct}
            canRevert={!registered || !r.previousVersion || registered.has(r.previousVersion)}
            onAction={(action) => act.mutate({ id: r.id, action })}
          />
        ))
      )}
    </section>
  );
}

function RolloutCard({
  rollout: r,
  hosts,
  busy,
  canAct,
  canRevert,
  onAction,
}: {
  rollout: Rollout;
  hosts: Host[];
  busy: boolean;
  canAct: boolean;
  /** False when the version to go back to cannot be sent (a model not in the registry). */
  canRevert: boolean;
  onAction: (a: RolloutAction) => void;
}) {
  const applied = (id: string) => {
    const h = hosts.find((x) => x.id === id);
    if (!h) return false;
    if (r.kind === 'agent') return h.online && h.agentVersion === r.version;
    return r.kind === 'policy'
      ? h.appliedPolicyVersion === r.version
      : `${r.subject}@${h.appliedModels?.[r.subject] ?? ''}` === r.version;
  };
  const active = r.status === 'pending' || r.status === 'soaking';
  const finished = isFinished(r);
  const gates = r.history
    .map((h) => ({ at: h.at, words: gateInWords(h.event, h.detail) }))
    .filter((g): g is { at: number; words: NonNullable<ReturnType<typeof gateInWords>> } => g.words !== null);
  const lastGate = gates.at(-1);
  const last = [...r.history].reverse().find((h) => !gateInWords(h.event));
  return (
    <article className="rollout" data-rollout={r.id} aria-label={`Rollout ${r.id}`}>
      <header>
        <strong>
          {r.subject} {versionWords(r.version)}
        </strong>{' '}
        <span className={`status status-${r.status}`}>{r.status}</span> <Time ts={r.createdAt} />
        {r.rollback && active && (
          <span className="muted" data-testid="awaiting-ack">
            {' '}
            sent to every host at once; complete when each acknowledges it
          </span>
        )}
      </header>
      <ol className="waves">
        {r.waves.map((_, index) => (
          <WaveItem
            key={index}
            index={index}
            w={waveRow(r, index, (ids) => ids.filter(applied).length)}
            active={active}
            finished={finished}
          />
        ))}
      </ol>
      {(r.skippedCordoned?.length ?? 0) > 0 && (
        <p className="muted" data-testid="skipped-cordoned" title={r.skippedCordoned!.join('\n')}>
          {r.skippedCordoned!.length} host(s) skipped: cordoned (not sent this version).
        </p>
      )}
      {active && <SoakStatus rollout={r} />}
      {r.kind === 'model' && (active || r.status === 'halted') && <CanaryComparison id={r.id} />}
      {lastGate && (
        <div className="gate" data-testid="gate">
          <p>
            Health gate {lastGate.words.verdict} <Time ts={lastGate.at} />
            {lastGate.words.lines.length > 0 && ':'}
          </p>
          {lastGate.words.lines.length > 0 && (
            <ul>
              {lastGate.words.lines.map((l) => (
                <li key={l}>{l}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      {last && (
        <p className="muted">
          Last: {historyWords(last.event)}
          {last.detail && ` — ${last.detail}`}
        </p>
      )}
      {canAct && (
        <div className="actions">
          {active && (
            <button type="button" onClick={() => onAction('halt')} disabled={busy}>
              Halt
            </button>
          )}
          {r.status === 'halted' && !r.rollback && (
            <button type="button" onClick={() => onAction('resume')} disabled={busy}>
              Resume
            </button>
          )}
          {r.previousVersion && r.status !== 'rolled-back' && r.status !== 'cancelled' && !canRevert && (
            <span className="muted" data-testid="revert-unavailable">
              {revertLabel(r)}: upload {r.previousVersion} to the registry first (this control plane does not have it).
            </span>
          )}
          {r.previousVersion && r.status !== 'rolled-back' && r.status !== 'cancelled' && canRevert && (
            <button
              type="button"
              className="danger"
              onClick={() =>
                confirm(`${revertLabel(r)}: send it to every host of this rollout?`) && onAction('rollback')
              }
              disabled={busy}
            >
              {revertLabel(r)}
            </button>
          )}
        </div>
      )}
    </article>
  );
}

/** One wave's line: frozen once its gate decided, live while it is soaked (see {@link waveRow}). */
function WaveItem({ index, w, active, finished }: { index: number; w: WaveRow; active: boolean; finished: boolean }) {
  const label = `Wave ${index + 1}`;
  switch (w.state) {
    case 'decided':
      // Frozen: the count the gate saw when it decided, whatever these hosts run today.
      return (
        <li data-wave={index} data-wave-state="decided">
          <span>
            {label}: sent to {w.hosts} host(s), {w.verdict === 'pass' ? 'passed' : 'failed'} the health gate with{' '}
            {w.acknowledged} of {w.hosts} acknowledged
          </span>
          <span className="muted">
            <Time ts={w.at} />
          </span>
        </li>
      );
    case 'recorded':
      return (
        <li data-wave={index} data-wave-state="recorded">
          <span>
            {label}: sent to {w.hosts} host(s){w.passedAt !== null && ', passed the health gate'}
          </span>
          <span className="muted">
            <Time ts={w.passedAt ?? w.sentAt} />
          </span>
        </li>
      );
    case 'not-sent':
      return (
        <li data-wave={index} data-wave-state="not-sent">
          <span>
            {label}: {finished ? 'not sent' : 'waiting'} ({w.hosts} host(s))
          </span>
        </li>
      );
    case 'live':
      return (
        <li data-wave={index} data-wave-state="live">
          <span>
            {label}
            {w.current && active ? ' (current)' : ''}: {w.acknowledged} of {w.hosts} acknowledged
          </span>
          <Progress value={w.hosts ? w.acknowledged / w.hosts : 0} label={label} />
        </li>
      );
  }
}
