/** Users (admins only: create, change role) and the signed-in person's API tokens. */
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, keys } from '../api/api.ts';
import type { CreatedApiToken, Role, Session } from '../api/types.ts';
import { Empty, ErrorBox, Loading, Time } from '../components/common.tsx';

const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];
const asRole = (v: string): Role => ROLES.find((r) => r === v) ?? 'viewer';

export function UsersPage({ session }: { session: Session }) {
  const client = useQueryClient();
  const users = useQuery({ queryKey: keys.users, queryFn: api.users, enabled: session.role === 'admin' });
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
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <>
      <h1>Users & API tokens</h1>
      <section aria-labelledby="users-title">
        <h2 id="users-title">Users</h2>
        <ErrorBox error={users.error} title="Cannot load users" />
        <ErrorBox error={changeRole.error} />
        {users.isPending ? (
          <Loading what="users" />
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
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
                      onChange={(e) => changeRole.mutate({ id: u.id, r: asRole(e.target.value) })}
                      disabled={u.username === session.username}
                    >
                      {ROLES.map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <Time ts={u.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
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
      <ApiTokens />
    </>
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
                    <button type="button" className="danger" onClick={() => revoke.mutate(t.id)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
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
        <div className="callout" role="status">
          <p>Copy this token now; it is shown only once:</p>
          <pre className="command">{created.token}</pre>
        </div>
      )}
    </section>
  );
}
