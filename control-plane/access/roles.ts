/** Roles, strongest first: admin ⊃ operator ⊃ viewer. */
export const ROLES = ['admin', 'operator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { admin: 3, operator: 2, viewer: 1 };

/** True when `role` may do what `needed` may. */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

/** The weaker of two roles (a token never exceeds its owner). */
export function weakerRole(a: Role, b: Role): Role {
  return RANK[a] <= RANK[b] ? a : b;
}

/** Narrows a stored string to a Role (unknown → viewer, the least privilege). */
export function asRole(value: string | null | undefined, fallback: Role = 'viewer'): Role {
  return (ROLES as readonly string[]).includes(value ?? '') ? (value as Role) : fallback;
}
