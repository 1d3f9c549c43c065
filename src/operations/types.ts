/**
 * The contract between the dispatcher and the operation handlers (CONVENTIONS.md §2): one handler
 * per operation, registered in one table; per-request state lives in `ctx`, never on a shared
 * object, so handlers are stateless.
 */
import type { Logger } from 'pino';
import type { CryptoProvider } from '../crypto/provider.js';
import type { Fields } from '../kmip/fields.js';
import type { ProtocolVersion } from '../kmip/protocol-version.js';
import type { ObjectStore } from '../store/object-store.js';
import type { UnitOfWork } from '../store/unit-of-work.js';
import type { TtlvNode } from '../ttlv/types.js';

/** Facts about the server that some operations report (Query, Discover Versions). */
export interface ServerInfo {
  readonly vendorIdentification: string;
  readonly serverInformation: string;
}

export interface RequestContext {
  /** Authenticated identity of the client (TLS certificate CN). */
  readonly principal: string;
  /** The protocol version of this request; responses are encoded in it. */
  readonly version: ProtocolVersion;
  readonly log: Logger;
  /** Read access; writes go through `tx`. */
  readonly store: ObjectStore;
  /** Unit of work: staged changes, committed with the audit record after the handler returns. */
  readonly tx: UnitOfWork;
  readonly crypto: CryptoProvider;
  /** Request time, fixed for the whole message. */
  readonly now: Date;
  readonly server: ServerInfo;
  /** The operations the dispatcher has handlers for (for Query). */
  readonly operations: readonly number[];
  /** ID Placeholder shared by the batch items of one request (KMIP 2.1 §4.58, 1.4 §3.1). */
  idPlaceholder: string | undefined;
}

export interface OperationHandler<Req = unknown, Res = unknown> {
  readonly operation: number;
  /** Payload tree -> typed request. `payload` is undefined when the request had none. */
  decode(payload: Fields | undefined, ctx: RequestContext): Req;
  handle(ctx: RequestContext, req: Req): Promise<Res>;
  /** Typed response -> Response Payload children, in the client's version. */
  encode(res: Res, ctx: RequestContext): TtlvNode[];
  /** Object identifiers the request touched, for the audit record. */
  uids?(req: Req, res: Res | undefined): string[];
}

/** Helps type inference when defining a handler in its own file. */
export function defineOperation<Req, Res>(h: OperationHandler<Req, Res>): OperationHandler<Req, Res> {
  return h;
}
