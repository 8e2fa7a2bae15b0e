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
  status: 'pending' | 'approved' | 'denied';
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
  count(status: ApprovalRecord['status']): Promise<number>;
}
