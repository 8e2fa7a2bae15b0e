/**
 * Roles of users and API tokens (access/roles.ts names them). No row = the default the caller applies (users and
 * tokens created outside the access API, e.g. the bootstrap admin, are admins).
 */

export interface RoleRepository {
  userRole(userId: string): Promise<string | null>;
  /** Creates or replaces. */
  setUserRole(userId: string, role: string, at: Date): Promise<void>;
  tokenRole(tokenId: string): Promise<string | null>;
  /** Creates or replaces. */
  setTokenRole(tokenId: string, role: string): Promise<void>;
}
