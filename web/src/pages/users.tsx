/**
 * Users (admins only: create, change role after a confirmation, disable or enable, delete; never your own account)
 * and the signed-in person's API
 * tokens (created with a copy button, last use shown). Viewers and operators see only their tokens.
 */
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, keys } from '../api/api.ts';
import type { CreatedApiToken, Role, Session } from '../api/types.ts';
import { Empty, ErrorBox, Loading, Time } from '../components/common.tsx';
import { CopyButton } from '../components/copy-button.tsx';
import { TableWrap } from '../components/table-wrap.tsx';

const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];
const asRole = (v: string): Role => ROLES.find((r) => r === v) ?? 'viewer';

export function UsersPage({ session }: { session: Session }) {
  return (
    <>
      <h1>Users & API tokens</h1>
      {session.role === 'admin' ? (
        <Users session={session} />
      ) : (
        <p className="muted" data-testid="read-only">
          You are signed in as {session.role}: managing users needs the admin role. Your own API tokens are below.
        </p>
      )}
      <ApiTokens />
    </>
  );
}

function Users({ session }: { session: Session }) {
  const client = useQueryClient();
  const users = useQuery({ queryKey: keys.users, queryFn: api.users });
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const create = useMutation({
    mutationFn: () => api.createUser(username, password, role),
    onSuccess: () => {
      setUsername('');
      setPassword('');
      void client.invalidateQueries({ queryKey: keys.users });
    },
  });
  const changeRole = useMutation({
    mutationFn: ({ id, r }: { id: string; r: Role }) => api.setUserRole(id, r),
    onSettled: () => void client.invalidateQueries({ queryKey: keys.users }),
  });
  const setDisabled = useMutation({
    mutationFn: ({ id, disabled }: { id: string; disabled: boolean }) => api.setUserDisabled(id, disabled),
    onSettled: () => void client.invalidateQueries({ queryKey: keys.users }),
  });
  const remove = useMutation({
    mutationFn: (id: string) => api.deleteUser(id),
    onSettled: () => void client.invalidateQueries({ queryKey: keys.users }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <section aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <ErrorBox error={users.error} title="Cannot load users" />
      <ErrorBox error={changeRole.error ?? setDisabled.error ?? remove.error} />
      {users.isPending ? (
        <Loading what="users" />
      ) : (
        <TableWrap label="Users">
          <table>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {(users.data ?? []).map((u) => (
                <tr key={u.id}>
                  <th scope="row">
                    {u.username}
                    {u.disabled && <span className="muted"> (disabled)</span>}
                  </th>
                  <td>
                    <select
                      aria-label={`Role of ${u.username}`}
                      value={u.role}
                      onChange={(e) => {
                        const r = asRole(e.target.value);
                        if (window.confirm(`Change the role of ${u.username} from ${u.role} to ${r}?`))
                          changeRole.mutate({ id: u.id, r });
                      }}
                      disabled={u.username === session.username || changeRole.isPending}
                    >
                      {ROLES.map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <Time ts={u.createdAt} />
                  </td>
                  <td>
                    {u.username !== session.username && (
                      <button
                        type="button"
                        className={u.disabled ? undefined : 'danger'}
                        disabled={setDisabled.isPending}
                        onClick={() => {
                          const q = u.disabled
                            ? `Enable ${u.username}? They can sign in again.`
                            : `Disable ${u.username}? Their sessions end now and their API tokens stop working.`;
                          if (window.confirm(q)) setDisabled.mutate({ id: u.id, disabled: !u.disabled });
                        }}
                      >
                        {u.disabled ? `Enable ${u.username}` : `Disable ${u.username}`}
                      </button>
                    )}{' '}
                    {u.username !== session.username && (
                      <button
                        type="button"
                        className="danger"
                        disabled={remove.isPending}
                        onClick={() => {
                          if (
                            window.confirm(
                              `Delete ${u.username}? Their API tokens are deleted and their sessions end; this cannot be undone.`,
                            )
                          )
                            remove.mutate(u.id);
                        }}
                      >
                        Delete {u.username}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <form onSubmit={submit} className="row">
        <label>
          Username
          <input value={username} onChange={(e) => setUsername(e.target.value)} required autoComplete="off" />
        </label>
        <label>
          Initial password
          <input
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            minLength={12}
            autoComplete="new-password"
          />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(asRole(e.target.value))}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary" disabled={create.isPending}>
          Add user
        </button>
      </form>
      <ErrorBox error={create.error} />
    </section>
  );
}

function ApiTokens() {
  const client = useQueryClient();
  const tokens = useQuery({ queryKey: keys.apiTokens, queryFn: api.apiTokens });
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedApiToken | null>(null);
  const create = useMutation({
    mutationFn: () => api.createApiToken(name),
    onSuccess: (t) => {
      setCreated(t);
      setName('');
      void client.invalidateQueries({ queryKey: keys.apiTokens });
    },
  });
  const revoke = useMutation({
    mutationFn: api.revokeApiToken,
    onSettled: () => void client.invalidateQueries({ queryKey: keys.apiTokens }),
  });
  return (
    <section aria-labelledby="apitok-title">
      <h2 id="apitok-title">Your API tokens</h2>
      <ErrorBox error={tokens.error} title="Cannot load API tokens" />
      {tokens.isPending ? (
        <Loading what="API tokens" />
      ) : (tokens.data ?? []).length === 0 ? (
        <Empty>No API tokens.</Empty>
      ) : (
        <TableWrap label="Your API tokens">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(tokens.data ?? []).map((t) => (
                <tr key={t.id}>
                  <th scope="row">{t.name}</th>
                  <td>
                    <Time ts={t.createdAt} />
                  </td>
                  <td>
                    <Time ts={t.lastUsedAt} />
                  </td>
                  <td>
                    {t.revokedAt !== null ? (
                      'revoked'
                    ) : (
                      <button
                        type="button"
                        className="danger"
                        onClick={() => {
                          if (window.confirm(`Revoke the API token ${t.name}? Whatever uses it stops working.`))
                            revoke.mutate(t.id);
                        }}
                      >
                        Revoke {t.name}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
        className="row"
      >
        <label className="grow">
          Token name
          <input value={name} onChange={(e) => setName(e.target.value)} required placeholder="e.g. ci-deploy" />
        </label>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create API token
        </button>
      </form>
      <ErrorBox error={create.error ?? revoke.error} />
      {created && (
        <div className="callout" role="status" data-testid="new-token">
          <p>Copy this token now; it is shown only once:</p>
          <pre className="command">{created.token}</pre>
          <CopyButton text={created.token} label="Copy token" />
        </div>
      )}
    </section>
  );
}
