/** Who is calling: a user (session cookie or API token) or an agent (Basic credentials). */
import type { Role } from './roles.ts';

export type Principal =
  | { kind: 'user'; userId: string; username: string; role: Role; via: 'session' | 'token'; tokenId?: string }
  | { kind: 'agent'; agentId: string };

/** A stable audit name: `user:<name>` or `agent:<id>`. */
export function actorName(p: Principal): string {
  return p.kind === 'user' ? `user:${p.username}` : `agent:${p.agentId}`;
}
