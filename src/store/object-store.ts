/**
 * The object store, behind an interface so that a replicated backend (PostgreSQL) can follow the
 * LevelDB one (src/store/leveldb/, the only importer of classic-level).
 *
 * The store is agnostic of KMIP: an object is an opaque serialised body plus the index terms the
 * KMIP layer derives from its attributes. Handlers never write the store directly; they stage
 * changes in a unit of work and the dispatcher commits it together with the audit records in one
 * atomic batch (CONVENTIONS.md §4), answered only once durable.
 */

/** One index term: a field name and a value encoded so that byte order equals value order. */
export interface IndexTerm {
  /** Field, e.g. 'objectType', 'state', 'name', 'x-attr:x-Vendor'. Must not contain NUL. */
  readonly field: string;
  /** Order-preserving encoded value (see src/store/index-keys.ts). */
  readonly value: Uint8Array;
}

export interface StoredObject {
  readonly uid: string;
  /** Principal that owns the object. */
  readonly owner: string;
  /** Monotonic per-object revision, for optimistic concurrency across nodes later. */
  readonly revision: number;
  /** Serialised managed object (the KMIP layer decides the format). */
  readonly body: Uint8Array;
  /** Terms under which Locate finds this object. */
  readonly index: readonly IndexTerm[];
}

/** An audit entry before sealing; the store assigns seq / prevHash / hash inside the commit. */
export interface AuditEntry {
  readonly time: string; // ISO-8601, UTC
  readonly principal: string;
  readonly operation: string;
  readonly uids: readonly string[];
  readonly result: string; // 'Success' or the Result Reason name
  readonly connId?: string;
  readonly batchItemId?: string;
}

export interface Changes {
  readonly put: readonly StoredObject[];
  readonly delete: readonly string[];
  readonly audit: readonly AuditEntry[];
}

/** A condition on one field: equality, or an inclusive range over encoded values. */
export type IndexCondition =
  | { readonly field: string; readonly equals: Uint8Array }
  | { readonly field: string; readonly from?: Uint8Array; readonly to?: Uint8Array };

export interface ObjectStore {
  get(uid: string): Promise<StoredObject | undefined>;
  /** Applies all changes and seals the audit entries in one atomic, durable write. */
  commit(changes: Changes): Promise<void>;
  /**
   * Uids matching every condition (AND), answered from the indexes, in ascending uid order,
   * after skipping `offset` and up to `limit` results.
   */
  locate(conditions: readonly IndexCondition[], opts?: { offset?: number; limit?: number }): Promise<string[]>;
  /** The sealed audit chain in sequence order, from `fromSeq` (default 1). */
  auditRecords(fromSeq?: number): AsyncIterable<import('../audit/record.js').AuditRecord>;
  close(): Promise<void>;
}
