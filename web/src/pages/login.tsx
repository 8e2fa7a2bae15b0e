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
  const login = useMutation({
    mutationFn: () => api.login(username, password),
    onSuccess: (session) => {
      client.setQueryData(keys.session, session);
      const back = new URLSearchParams(window.location.search).get('next');
      navigate(back && back.startsWith('/') && !back.startsWith('//') ? back : '/', true);
    },
  });
  if (signedIn) {
    navigate('/', true);
    return null;
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate();
  };
  return (
    <main className="login">
      <form onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Sign in to Homeostat</h1>
        <label>
          Username
          <input name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <ErrorBox error={login.error} />
        <button type="submit" className="primary" disabled={login.isPending}>
          {login.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
