/** Approval requests (a policy guard on an agent, or the blast-radius breaker) and their decisions. */

export interface ApprovalRecord {
  id: string;
  requestId: string;
  source: 'policy' | 'breaker';
  hostId: string | null;
  groupKey: string | null;
  groupValue: string | null;
  action: string;
  reason: string;
  /** The agent policy that asked, and its condition in words (null for the breaker, or when unknown). */
  policy: string | null;
  condition: string | null;
  /** `expired`: nobody decided within the expiry time (approval-expiry.ts); decidedBy is then `system:expiry`. */
  status: 'pending' | 'approved' | 'denied' | 'expired';
  requestedAt: Date;
  decidedBy: string | null;
  decidedAt: Date | null;
  decisionReason: string | null;
}

export type NewApproval = Omit<ApprovalRecord, 'status' | 'decidedBy' | 'decidedAt' | 'decisionReason'>;

export interface ApprovalRepository {
  /** A pending request. */
  create(a: NewApproval): Promise<ApprovalRecord>;
  get(id: string): Promise<ApprovalRecord | null>;
  /** The request an agent already raised (idempotence of re-sent events), or null. */
  findByRequest(requestId: string, hostId: string): Promise<ApprovalRecord | null>;
  /** Newest request first; `limit` unset = all. */
  list(filter?: { status?: string; limit?: number }): Promise<ApprovalRecord[]>;
  /** Decides a pending approval (compare and set on status): false when it is unknown or already decided. */
  decide(id: string, d: { approved: boolean; by: string; at: Date; reason: string | null }): Promise<boolean>;
  /** Marks a pending approval expired (compare and set on status): false when it is unknown or already decided. */
  expire(id: string, d: { by: string; at: Date; reason: string }): Promise<boolean>;
  /** Pending requests made before `before`, oldest first. */
  pendingBefore(before: Date): Promise<ApprovalRecord[]>;
  count(status: ApprovalRecord['status']): Promise<number>;
}
