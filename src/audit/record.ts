/**
 * A sealed audit record: one per request batch item, chained by hash (CONVENTIONS.md §5).
 * The canonical serialisation and the verifier live in src/audit/chain.ts.
 */
export interface AuditRecord {
  /** Record format version. */
  readonly v: 1;
  /** 1-based, gap-free sequence number. */
  readonly seq: number;
  readonly time: string;
  readonly principal: string;
  readonly operation: string;
  readonly uids: readonly string[];
  readonly result: string;
  readonly connId?: string;
  readonly batchItemId?: string;
  /** Hex SHA-256 of the previous record (64 zeros for seq 1). */
  readonly prevHash: string;
  /** Hex SHA-256 over the canonical serialisation of every other field. */
  readonly hash: string;
}

/**
 * An audit entry before sealing: what a request item did. The store assigns v / seq / prevHash /
 * hash inside the commit. Never put key material or other secrets here (CONVENTIONS.md §5).
 */
export interface AuditEntry {
  /** ISO-8601, UTC. */
  readonly time: string;
  readonly principal: string;
  readonly operation: string;
  readonly uids: readonly string[];
  /** 'Success' or the Result Reason name. */
  readonly result: string;
  readonly connId?: string;
  readonly batchItemId?: string;
}
