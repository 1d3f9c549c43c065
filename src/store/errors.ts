/**
 * Errors the store raises. None carries object bodies or key material; messages name uids and
 * keys only, and are meant for server logs (the dispatcher maps them to General Failure unless
 * the KMIP layer catches a specific one first).
 */

/** Base class of store errors. */
export class StoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A put carried a revision not greater than the stored one: someone else wrote first. */
export class StaleRevisionError extends StoreError {
  constructor(
    readonly uid: string,
    readonly storedRevision: number,
    readonly attemptedRevision: number,
  ) {
    super(`object ${uid}: revision ${attemptedRevision} is not newer than stored revision ${storedRevision}`);
  }
}

/** A delete named an object that does not exist (already destroyed, or never created). */
export class ObjectNotFoundError extends StoreError {
  constructor(readonly uid: string) {
    super(`object ${uid} does not exist`);
  }
}

/** A Changes value that cannot be applied as given (duplicate uid, put and delete of one uid). */
export class InvalidChangesError extends StoreError {}

/** Stored bytes that do not decode: disk corruption or tampering. */
export class StoreCorruptionError extends StoreError {}

/** The store was used after close(). */
export class StoreClosedError extends StoreError {
  constructor() {
    super('store is closed');
  }
}
