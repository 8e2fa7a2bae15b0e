/**
 * The signed-in person and what their role allows, for hiding actions they may not take. The control plane decides
 * (route → role table in control-plane/access/route-table.ts); this only keeps the UI from offering refused actions.
 */
import { createContext, useContext, type ReactNode } from 'react';
import type { Session } from './api/types.ts';

const RANK: Record<string, number> = { viewer: 0, operator: 1, admin: 2 };
const Ctx = createContext<Session | null>(null);

/** Provides the session to the pages. */
export function SessionProvider({ session, children }: { session: Session; children: ReactNode }) {
  return <Ctx.Provider value={session}>{children}</Ctx.Provider>;
}

/** The signed-in person (null outside the provider). */
export function useSession(): Session | null {
  return useContext(Ctx);
}

/** True when the signed-in role is at least `role` (viewer < operator < admin). */
export function useCan(role: 'viewer' | 'operator' | 'admin'): boolean {
  const s = useContext(Ctx);
  return !!s && (RANK[s.role] ?? -1) >= RANK[role]!;
}

/** A short note shown where a viewer would otherwise see action buttons. */
export function ReadOnlyNote({ needs, what }: { needs: 'operator' | 'admin'; what: string }) {
  const s = useContext(Ctx);
  return (
    <p className="muted" data-testid="read-only">
      You are signed in as {s?.role ?? 'a viewer'}: {what} needs the {needs} role.
    </p>
  );
}
