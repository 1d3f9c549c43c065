/**
 * The object store, behind an interface so that a replicated backend (PostgreSQL) can follow the
 * LevelDB one (src/store/leveldb/, the only importer of classic-level).
 *
 * The store is agnostic of KMIP: an object is an opaque serialised body plus the index terms the
 * KMIP layer derives from its attributes. Handlers never write the store directly; they stage
 * changes in a unit of work (src/store/unit-of-work.ts) and the dispatcher commits it together
 * with the audit records in one atomic batch (CONVENTIONS.md §4), answered only once durable.
 */
import type { AuditEntry, AuditRecord } from '../audit/record.js';

/** An audit entry before sealing (defined in src/audit so that the chain code owns its shape). */
export type { AuditEntry };

/** One index term: a field name and a value encoded so that byte order equals value order. */
export interface IndexTerm {
  /** Field, e.g. 'objectType', 'state', 'name', 'x-attr:x-Vendor'. Non-empty, must not contain NUL. */
  readonly field: string;
  /** Order-preserving encoded value (see src/store/index-keys.ts). Any bytes, including 0x00/0xFF. */
  readonly value: Uint8Array;
}

/** A managed object as the store sees it. */
export interface StoredObject {
  /** Non-empty, well-formed Unicode (it is stored as UTF-8). */
  readonly uid: string;
  /** Principal that owns the object. */
  readonly owner: string;
  /**
   * Monotonic per-object revision. A put whose revision is not greater than the stored one is
   * rejected with StaleRevisionError, so two requests that read the same version cannot both
   * write it (lost update); new objects usually start at 1.
   */
  readonly revision: number;
  /** Serialised managed object (the KMIP layer decides the format). */
  readonly body: Uint8Array;
  /** Terms under which Locate finds this object. */
  readonly index: readonly IndexTerm[];
}

/** What one request changes; committed atomically by {@link ObjectStore.commit}. */
export interface Changes {
  /** Objects to create or replace; at most one per uid. */
  readonly put: readonly StoredObject[];
  /** Uids to destroy; each must exist and must not also be in `put`. */
  readonly delete: readonly string[];
  /** Entries sealed into the audit chain, in this order. */
  readonly audit: readonly AuditEntry[];
}

/**
 * A condition on one field: equality, or an inclusive range over encoded values (either bound may
 * be left out; with neither, every object that has the field matches).
 */
export type IndexCondition =
  | {
      readonly field: string;
      readonly equals: Uint8Array;
      /**
       * A hint that many objects share this value (the owner, the storage status, the object type):
       * when a condition without the hint is present, the store walks that one's entries and checks
       * this one per candidate with a point read, instead of walking both ranges. Never changes the
       * result, only the cost.
       */
      readonly broad?: boolean;
    }
  | { readonly field: string; readonly from?: Uint8Array; readonly to?: Uint8Array };

/** Paging of {@link ObjectStore.locate} results. */
export interface LocateOptions {
  readonly offset?: number;
  readonly limit?: number;
}

/** The storage interface the KMIP layers code against. */
export interface ObjectStore {
  get(uid: string): Promise<StoredObject | undefined>;
  /**
   * Applies all changes and seals the audit entries in one atomic write; resolves once durable.
   * Commits are serialised. On failure nothing is written and the audit head does not move.
   */
  commit(changes: Changes): Promise<void>;
  /**
   * Uids matching every condition (AND), answered from the indexes, in ascending uid order
   * (UTF-8 byte order, i.e. code point order), after skipping `offset` and up to `limit` results.
   */
  locate(conditions: readonly IndexCondition[], opts?: LocateOptions): Promise<string[]>;
  /** The sealed audit chain in sequence order, from `fromSeq` (default 1). */
  auditRecords(fromSeq?: number): AsyncIterable<AuditRecord>;
  /** Idempotent. */
  close(): Promise<void>;
}
