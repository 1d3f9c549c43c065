/**
 * A per-request unit of work (CONVENTIONS.md §4): handlers stage puts, deletes and audit entries
 * here instead of writing the store; the dispatcher then commits `store.commit(uow.changes())`
 * after the handler returns, or drops the unit on error (which is also how batch Undo stays cheap).
 * Backend-agnostic: it only needs ObjectStore.get.
 */
import type { AuditEntry, Changes, ObjectStore, StoredObject } from './object-store.js';

/** Staged changes over a store, with reads that see them. */
export class UnitOfWork {
  readonly #store: ObjectStore;
  /** Staged state per uid, in staging order: an object to put, or null for a delete. */
  readonly #staged = new Map<string, StoredObject | null>();
  /** Uids that exist in the store (as far as this unit has seen), so deletes of new objects vanish. */
  readonly #existing = new Set<string>();
  readonly #audit: AuditEntry[] = [];

  constructor(store: ObjectStore) {
    this.#store = store;
  }

  /** The object as this unit sees it: staged puts and deletes first, then the store. */
  async get(uid: string): Promise<StoredObject | undefined> {
    const staged = this.#staged.get(uid);
    if (staged !== undefined) return staged ?? undefined;
    const obj = await this.#store.get(uid);
    if (obj !== undefined) this.#existing.add(uid);
    return obj;
  }

  /** Stages a create or replace; a later put of the same uid replaces this one. */
  put(obj: StoredObject): void {
    this.#staged.set(obj.uid, obj);
  }

  /**
   * Stages a delete. An object put in this unit and never read from the store is taken to be a
   * creation (a put over an existing object needs its revision, hence a read first), so deleting
   * it just drops the creation; anything else becomes a store delete, which fails if absent.
   */
  delete(uid: string): void {
    if (this.#staged.get(uid) && !this.#existing.has(uid)) this.#staged.delete(uid);
    else this.#staged.set(uid, null);
  }

  /** Stages an audit entry; entries are sealed in staging order. */
  audit(entry: AuditEntry): void {
    this.#audit.push(entry);
  }

  /** True when committing would change nothing. */
  isEmpty(): boolean {
    return this.#staged.size === 0 && this.#audit.length === 0;
  }

  /** The staged changes, for ObjectStore.commit. */
  changes(): Changes {
    const put: StoredObject[] = [];
    const del: string[] = [];
    for (const [uid, obj] of this.#staged) {
      if (obj === null) del.push(uid);
      else put.push(obj);
    }
    return { put, delete: del, audit: [...this.#audit] };
  }
}
