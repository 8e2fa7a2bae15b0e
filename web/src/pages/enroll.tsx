/**
 * Enrollment: create tokens with labels and limits, copy the one-line install command (the control plane's advertised
 * URL, with a warning when other servers cannot reach it), see which hosts each token enrolled, revoke.
 */
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, keys } from '../api/api.ts';
import type { CreatedEnrollmentToken } from '../api/types.ts';
import { Empty, ErrorBox, LabelChips, Loading } from '../components/common.tsx';
import { Link } from '../router.tsx';
import { TableWrap } from '../components/table-wrap.tsx';

/** Parses `k=v, k2=v2` into labels; returns the problem in words when malformed. */
export function parseLabels(text: string): { labels: Record<string, string>; error: string | null } {
  const labels: Record<string, string> = {};
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z0-9][A-Za-z0-9_./-]*)=(.*)$/.exec(part);
    if (!m) return { labels, error: `"${part}" is not key=value` };
    labels[m[1]!] = m[2]!.trim();
  }
  return { labels, error: null };
}

/** The one line an admin runs on a new server (docs/agent-install.md), from the server's template. */
export function installCommand(template: string, token: string): string {
  return template.replace('<TOKEN>', token);
}

export function EnrollPage() {
  const client = useQueryClient();
  const tokens = useQuery({ queryKey: keys.enrollTokens, queryFn: api.enrollTokens });
  const install = useQuery({ queryKey: keys.installInfo, queryFn: api.installInfo });
  const [labelText, setLabelText] = useState('');
  const [maxUses, setMaxUses] = useState(10);
  const [ttl, setTtl] = useState(24);
  const [created, setCreated] = useState<CreatedEnrollmentToken | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  const parsed = parseLabels(labelText);
  const create = useMutation({
    mutationFn: () => api.createEnrollToken({ labels: parsed.labels, maxUses, ttlHours: ttl }),
    onSuccess: (t) => {
      setCreated(t);
      void client.invalidateQueries({ queryKey: keys.enrollTokens });
    },
  });
  const revoke = useMutation({
    mutationFn: api.revokeEnrollToken,
    onSettled: () => void client.invalidateQueries({ queryKey: keys.enrollTokens }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!parsed.error) create.mutate();
  };
  const command = install.data ? installCommand(install.data.command, created?.token ?? '<TOKEN>') : '';
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(command);
      setCopied('Copied to the clipboard.');
    } catch {
      setCopied('Could not copy automatically: select the command and copy it.');
    }
  };
  return (
    <>
      <h1>Enrollment</h1>
      <section aria-labelledby="new-token">
        <h2 id="new-token">New enrollment token</h2>
        <form onSubmit={submit} className="row">
          <label className="grow">
            Labels for enrolled hosts
            <input
              value={labelText}
              onChange={(e) => setLabelText(e.target.value)}
              placeholder="datacenter=fra1, role=web"
              aria-invalid={!!parsed.error}
            />
          </label>
          <label>
            Max hosts
            <input
              type="number"
              min={1}
              max={100000}
              value={maxUses}
              onChange={(e) => setMaxUses(Number(e.target.value))}
            />
          </label>
          <label>
            Valid for (hours)
            <input type="number" min={1} max={8760} value={ttl} onChange={(e) => setTtl(Number(e.target.value))} />
          </label>
          <button type="submit" className="primary" disabled={!!parsed.error || create.isPending}>
            Create token
          </button>
        </form>
        {parsed.error && (
          <p className="error" role="alert">
            Labels: {parsed.error}
          </p>
        )}
        <ErrorBox error={create.error} />
      </section>
      <section aria-labelledby="install">
        <h2 id="install">Install the agent on a server</h2>
        <ErrorBox error={install.error} title="Cannot load the install command" />
        {install.data && (
          <div className={created ? 'callout' : undefined} role={created ? 'status' : undefined}>
            {install.data.warning && (
              <p className="error" role="alert" data-testid="advertised-url-warning">
                {install.data.warning}
              </p>
            )}
            <p>
              {created
                ? 'Run this as root on each server; the token is shown only once:'
                : 'Create a token, then run this as root on each server (it needs no Node.js, npm or checkout):'}
            </p>
            <pre className="command" data-testid="enroll-command">
              {command}
            </pre>
            <button type="button" onClick={copy}>
              Copy command
            </button>{' '}
            <span aria-live="polite">{copied}</span>
            <p className="muted">
              The script downloads the agent from <code>{install.data.advertisedUrl}</code>
              {install.data.advertisedUrlSource === 'config' ? ' (advertisedUrl)' : ' (listening address)'}, checks its
              sha256 and its signature by the key with sha256{' '}
              <code data-testid="key-sha256">{install.data.signingKeySha256}</code> (pin it with{' '}
              <code>--key-sha256</code>), and installs a systemd service. To keep the token out of shell history, put it
              in a file and use <code>{install.data.commandWithTokenFile}</code>.
            </p>
          </div>
        )}
      </section>
      <section aria-labelledby="tokens">
        <h2 id="tokens">Tokens</h2>
        <ErrorBox error={tokens.error} title="Cannot load tokens" />
        <ErrorBox error={revoke.error} />
        {tokens.isPending ? (
          <Loading what="tokens" />
        ) : (tokens.data ?? []).length === 0 ? (
          <Empty>No enrollment tokens.</Empty>
        ) : (
          <TableWrap label="Enrollment tokens">
            <table>
              <thead>
                <tr>
                  <th scope="col">Token</th>
                  <th scope="col">Labels</th>
                  <th scope="col">Uses left</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Enrolled hosts</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {(tokens.data ?? []).map((t) => (
                  <tr key={t.id}>
                    <th scope="row">
                      <code>{t.id}</code>
                    </th>
                    <td>
                      <LabelChips labels={t.labels} />
                    </td>
                    <td>
                      {t.usesLeft} of {t.maxUses}
                    </td>
                    <td>{t.state === 'active' ? new Date(t.expiresAt).toLocaleString() : t.state}</td>
                    <td data-testid={`token-hosts-${t.id}`}>
                      {t.hosts.length === 0
                        ? 'none yet'
                        : t.hosts.map((h, i) => (
                            <span key={h.id}>
                              {i > 0 && ', '}
                              <Link to={`/hosts/${encodeURIComponent(h.id)}`}>{h.hostname}</Link>
                              {h.revoked ? ' (revoked)' : ''}
                            </span>
                          ))}
                    </td>
                    <td>
                      {t.state !== 'revoked' && (
                        <button
                          type="button"
                          className="danger"
                          onClick={() => revoke.mutate(t.id)}
                          disabled={revoke.isPending}
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      </section>
    </>
  );
}
