/** Sign-in form (username + password → session cookie). */
import { useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, keys } from '../api/api.ts';
import { ErrorBox } from '../components/common.tsx';
import { navigate } from '../router.tsx';

export function LoginPage({ signedIn }: { signedIn: boolean }) {
  const client = useQueryClient();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const login = useMutation({
    mutationFn: (mode: 'password' | 'token') =>
      mode === 'token' ? api.loginWithToken(token) : api.login(username, password),
    onSuccess: (session) => {
      client.setQueryData(keys.session, session);
      const back = new URLSearchParams(window.location.search).get('next');
      navigate(back?.startsWith('/') && !back.startsWith('//') ? back : '/', true);
    },
  });
  if (signedIn) {
    navigate('/', true);
    return null;
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate('password');
  };
  return (
    <main className="login">
      <form onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Sign in to Homeostat</h1>
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            autoFocus
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <ErrorBox error={login.error} />
        <button type="submit" className="primary" disabled={login.isPending}>
          {login.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          login.mutate('token');
        }}
        aria-label="Sign in with an API token"
      >
        <label>
          Or an API token
          <input
            name="token"
            type="password"
            autoComplete="off"
            required
            value={token}
            onChange={(e) => setToken(e.target.value)}
            placeholder="hat_…"
          />
        </label>
        <button type="submit" disabled={login.isPending}>
          Sign in with token
        </button>
      </form>
    </main>
  );
}
