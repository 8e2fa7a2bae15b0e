/**
 * Policies: a YAML editor validated inline with the agent's own schema, version history with diffs, a dry-run preview
 * of the hosts a publish would reach, publishing in rollout waves, and each rollout's per-wave progress with halt and
 * roll back.
 */
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import CodeMirror, { EditorView } from '@uiw/react-codemirror';
import { yaml } from '@codemirror/lang-yaml';
import { linter, lintGutter, type Diagnostic as CmDiagnostic } from '@codemirror/lint';
import { api, keys } from '../api/api.ts';
import type { Host, PolicyVersion } from '../api/types.ts';
import { Rollouts } from '../components/rollouts.tsx';
import { PolicyVersions } from '../components/policy-versions.tsx';
import { Empty, ErrorBox, Loading, Progress, Time } from '../components/common.tsx';
import { lintPolicy, lineOf } from '../policy-lint.ts';
import { lineDiff } from '../line-diff.ts';
import { matchesSelector, parseSelector } from '../../../contract/label-selector.ts';
import { Link, navigate } from '../router.tsx';
import { ReadOnlyNote, useCan } from '../session.tsx';

export const POLICY_TEMPLATE = `policies:
  - name: restart-nginx
    description: Restart nginx when it stops
    when: { service: nginx, for: 30s }
    do:
      - type: restart-service
        service: nginx
    guards: { cooldown: 5m, maxAttempts: 3 }
`;

const cmLinter = linter(
  (view) =>
    lintPolicy(view.state.doc.toString()).diagnostics.map(
      (d): CmDiagnostic => ({
        from: d.from,
        to: Math.min(d.to, view.state.doc.length),
        severity: 'error',
        message: d.message,
      }),
    ),
  { delay: 250 },
);
// The editable area's accessible name (CodeMirror's contenteditable has none of its own), and an explicit tabindex:
// the contenteditable is in the tab order anyway, but axe (scrollable-region-focusable) counts only elements with a
// tabindex or natively focusable ones as keyboard-reachable content of the scroller (.cm-scroller), which scrolls
// sideways on a narrow screen. Its focus lands in the text, where the arrow keys scroll it; no extra tab stop.
const named = EditorView.contentAttributes.of({ 'aria-label': 'Policy source (YAML)', tabindex: '0' });
const extensions = [yaml(), lintGutter(), cmLinter, named];

export function PoliciesPage({ name }: { name?: string }) {
  // Refetched while shown: a rollout completing (or rolled back) on this page changes the live version listed here.
  const policies = useQuery({ queryKey: keys.policies, queryFn: api.policies, refetchInterval: 5_000 });
  const [newName, setNewName] = useState('');
  const create = (e: FormEvent) => {
    e.preventDefault();
    if (/^[a-z0-9][a-z0-9._-]*$/i.test(newName)) navigate(`/policies/${encodeURIComponent(newName)}`);
  };
  return (
    <>
      <h1>Policies</h1>
      <div className="sidebar-layout">
        <aside aria-label="Policy documents">
          <ErrorBox error={policies.error} title="Cannot load policies" />
          {policies.isPending ? (
            <Loading what="policies" />
          ) : (
            <ul className="side-list">
              {(policies.data ?? []).map((p) => (
                <li key={p.name}>
                  <Link
                    to={`/policies/${encodeURIComponent(p.name)}`}
                    aria-current={p.name === name ? 'page' : undefined}
                  >
                    {p.name}
                  </Link>
                  <PolicyVersions policy={p} />
                </li>
              ))}
            </ul>
          )}
          <form onSubmit={create} className="stack">
            <label>
              New policy document
              <input
                value={newName}
                onChange={(e) => setNewName(e.target.value)}
                placeholder="e.g. web-services"
                pattern="[A-Za-z0-9][A-Za-z0-9._\-]*"
                title="letters, digits and . _ -"
              />
            </label>
            <button type="submit" disabled={!newName}>
              Create
            </button>
          </form>
        </aside>
        <div>
          {name ? <PolicyEditor key={name} name={name} /> : <Empty>Choose a policy document or create one.</Empty>}
          <Rollouts kind="policy" subject={name} />
        </div>
      </div>
    </>
  );
}

function PolicyEditor({ name }: { name: string }) {
  const client = useQueryClient();
  const canEdit = useCan('operator');
  const versions = useQuery({
    queryKey: keys.policyVersions(name),
    queryFn: () => api.policyVersions(name),
    retry: false,
  });
  const hosts = useQuery({ queryKey: keys.hosts, queryFn: api.hosts });
  const latest = useMemo(
    () => [...(versions.data ?? [])].sort((a, b) => b.version - a.version)[0] ?? null,
    [versions.data],
  );
  const [text, setText] = useState<string | null>(null);
  const [comment, setComment] = useState('');
  const [compare, setCompare] = useState<number | null>(null);
  useEffect(() => {
    if (text === null && (versions.data || versions.error)) setText(latest?.source ?? POLICY_TEMPLATE);
  }, [versions.data, versions.error, latest, text]);
  const source = text ?? '';
  const lint = useMemo(() => lintPolicy(source), [source]);
  const dirty = latest ? latest.source !== source : true;

  const save = useMutation({
    mutationFn: () => api.savePolicy(name, source, comment),
    onSuccess: () => {
      setComment('');
      void client.invalidateQueries({ queryKey: keys.policyVersions(name) });
      void client.invalidateQueries({ queryKey: keys.policies });
    },
  });

  if (versions.isPending || text === null) return <Loading what={`policy ${name}`} />;
  const notFound =
    versions.error && 'status' in versions.error && (versions.error as { status: number }).status === 404;
  return (
    <section aria-labelledby="editor-title">
      <h2 id="editor-title">
        {name}{' '}
        {latest ? (
          <span className="muted">(latest v{latest.version})</span>
        ) : (
          <span className="muted">(new, unsaved)</span>
        )}
      </h2>
      {!notFound && <ErrorBox error={versions.error} title="Cannot load versions" />}
      <div className="editor" role="group" aria-label="Policy YAML editor">
        <CodeMirror
          value={source}
          height="320px"
          extensions={extensions}
          onChange={setText}
          basicSetup={{ lineNumbers: true, foldGutter: true }}
          aria-label="Policy YAML"
        />
      </div>
      <div role="status" aria-live="polite" className="lint-summary" data-testid="lint-summary">
        {lint.diagnostics.length === 0 ? (
          <span className="ok">
            ✓ Valid: {lint.set?.policies.length ?? 0} polic{lint.set?.policies.length === 1 ? 'y' : 'ies'}
          </span>
        ) : (
          <ul className="diagnostics">
            {lint.diagnostics.map((d, i) => (
              <li key={i}>
                Line {lineOf(source, d.from)}: {d.message}
              </li>
            ))}
          </ul>
        )}
      </div>
      {!canEdit && <ReadOnlyNote needs="operator" what="saving and publishing policies" />}
      {canEdit && (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate();
          }}
        >
          <label className="grow">
            Change note
            <input value={comment} onChange={(e) => setComment(e.target.value)} placeholder="What changed and why" />
          </label>
          <button type="submit" className="primary" disabled={lint.diagnostics.length > 0 || !dirty || save.isPending}>
            {save.isPending ? 'Saving…' : 'Save as new version'}
          </button>
        </form>
      )}
      <ErrorBox error={save.error} />
      {save.isSuccess && !dirty && (
        <p className="ok" role="status">
          Saved version {save.data.version}.
        </p>
      )}

      {latest && canEdit && <Publish name={name} version={latest.version} hosts={hosts.data ?? []} disabled={dirty} />}

      <h3>Version history</h3>
      {(versions.data ?? []).length === 0 ? (
        <Empty>No saved versions yet.</Empty>
      ) : (
        <>
          <ol className="versions" reversed>
            {[...(versions.data ?? [])]
              .sort((a, b) => b.version - a.version)
              .map((v) => (
                <li key={v.version}>
                  <strong>v{v.version}</strong> <Time ts={v.createdAt} />{' '}
                  {v.createdBy && <span className="muted">by {v.createdBy}</span>} {v.comment && `— ${v.comment}`}{' '}
                  <button
                    type="button"
                    className="link"
                    onClick={() => setCompare(compare === v.version ? null : v.version)}
                    aria-expanded={compare === v.version}
                  >
                    {compare === v.version ? 'Hide diff' : 'Diff with editor'}
                  </button>{' '}
                  <button type="button" className="link" onClick={() => setText(v.source)}>
                    Load into editor
                  </button>
                </li>
              ))}
          </ol>
          {compare !== null && (
            <Diff
              before={(versions.data ?? []).find((v: PolicyVersion) => v.version === compare)?.source ?? ''}
              after={source}
              label={`v${compare} → editor`}
            />
          )}
        </>
      )}
    </section>
  );
}

function Diff({ before, after, label }: { before: string; after: string; label: string }) {
  const lines = useMemo(() => lineDiff(before, after), [before, after]);
  const changed = lines.filter((l) => l.op !== ' ').length;
  return (
    <figure className="diff">
      <figcaption>
        {label}: {changed === 0 ? 'no changes' : `${changed} changed line(s)`}
      </figcaption>
      <pre>
        {lines.map((l, i) => (
          <div key={i} className={l.op === '+' ? 'add' : l.op === '-' ? 'del' : ''}>
            <span aria-hidden="true">{l.op} </span>
            {l.op === '+' && <span className="sr-only">added: </span>}
            {l.op === '-' && <span className="sr-only">removed: </span>}
            {l.text}
          </div>
        ))}
      </pre>
    </figure>
  );
}

function Publish({
  name,
  version,
  hosts,
  disabled,
}: {
  name: string;
  version: number;
  hosts: Host[];
  disabled: boolean;
}) {
  const client = useQueryClient();
  const [selector, setSelector] = useState('');
  const [waves, setWaves] = useState('50, 100');
  const [soak, setSoak] = useState('10m');
  const preview = useMemo(() => {
    try {
      const req = parseSelector(selector);
      const matched = hosts.filter((h) => matchesSelector(req, h.labels));
      // A rollout skips cordoned hosts (docs/fleet.md "Cordoned hosts"): they are counted apart.
      return { hosts: matched.filter((h) => !h.cordon), cordoned: matched.filter((h) => h.cordon), error: null };
    } catch (err) {
      return { hosts: [], cordoned: [], error: err };
    }
  }, [selector, hosts]);
  const percents = waves
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isFinite(n) && n > 0);
  const publish = useMutation({
    mutationFn: () => api.publish(name, version, selector, percents, soak.trim()),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.rollouts });
      void client.invalidateQueries({ queryKey: keys.policies });
    },
  });
  return (
    <details className="publish" open>
      <summary>Publish v{version}</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          publish.mutate();
        }}
        className="stack"
      >
        <label>
          Target hosts (label selector, empty = all)
          <input
            value={selector}
            onChange={(e) => setSelector(e.target.value)}
            placeholder="e.g. role=web, datacenter in (fra1,ams2)"
            aria-describedby="dry-run"
          />
        </label>
        <p id="dry-run" role="status" aria-live="polite" data-testid="dry-run">
          {preview.error ? (
            <span className="score-crit">
              Selector: {preview.error instanceof Error ? preview.error.message : String(preview.error)}
            </span>
          ) : (
            <>
              Dry run: <strong>{preview.hosts.length}</strong> of {hosts.length} hosts match
              {preview.hosts.length > 0 &&
                `: ${preview.hosts
                  .slice(0, 8)
                  .map((h) => h.hostname)
                  .join(', ')}${preview.hosts.length > 8 ? ', …' : ''}`}
              {preview.cordoned.length > 0 && ` (${preview.cordoned.length} more cordoned: skipped)`}
            </>
          )}
        </p>
        <label>
          Waves (cumulative % of targets, comma-separated)
          <input value={waves} onChange={(e) => setWaves(e.target.value)} inputMode="numeric" />
        </label>
        <label>
          Soak after each wave (the health gate compares errors and anomalies before the next wave)
          <input value={soak} onChange={(e) => setSoak(e.target.value)} placeholder="e.g. 30s, 10m, 1h" />
        </label>
        <p className="muted">
          {percents.length} wave(s):{' '}
          {percents
            .map((p) => `${Math.max(1, Math.round((preview.hosts.length * p) / 100))} hosts by ${p}%`)
            .join(', then ')}
        </p>
        <button
          type="submit"
          className="primary"
          disabled={
            disabled || !!preview.error || preview.hosts.length === 0 || percents.length === 0 || publish.isPending
          }
        >
          {publish.isPending ? 'Publishing…' : `Publish v${version} in ${percents.length} wave(s)`}
        </button>
        {disabled && <p className="muted">Save the editor's changes before publishing.</p>}
        <ErrorBox error={publish.error} />
      </form>
    </details>
  );
}
