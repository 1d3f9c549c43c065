/**
 * The message layer: one whole TTLV request in, one whole TTLV response out (CONVENTIONS.md §2).
 * Bytes -> tree (codec) -> typed request -> batch runner -> typed response -> bytes. It never
 * throws for anything a client sends: malformed bytes and messages get `Invalid Message`, an
 * unsupported version gets the spec's error in a version the client can read.
 */
import type { Logger } from 'pino';
import { lazyChild } from '../log.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { KmipError } from '../kmip/errors.js';
import { ResultReason, ResultStatus } from '../kmip/generated/index.js';
import {
  type RequestMessage,
  type ResponseBatchItem,
  decodeRequestMessage,
  encodeResponseMessage,
  peekProtocolVersion,
} from '../kmip/message.js';
import { type ProtocolVersion, fallbackVersion, is2x, isSupported } from '../kmip/protocol-version.js';
import type { OperationHandler, RequestContext, ServerInfo } from '../operations/types.js';
import type { ObjectStore } from '../store/object-store.js';
import { decodeTtlv } from '../ttlv/decode.js';
import { encodeTtlv } from '../ttlv/encode.js';
import { TtlvError } from '../ttlv/errors.js';
import type { TtlvNode } from '../ttlv/types.js';
import type { AuditEntry } from '../audit/record.js';
import { failureLabel, operationLabel, runBatch } from './batch.js';

/** Who sent a message (from the TLS layer). */
export interface Peer {
  readonly principal: string;
  readonly connId: string;
}

export interface DispatcherOptions {
  readonly store: ObjectStore;
  readonly crypto: CryptoProvider;
  readonly log: Logger;
  readonly operations: readonly OperationHandler<never, never>[];
  readonly server: ServerInfo;
  /** Injectable clock for tests. */
  readonly now?: () => Date;
}

const LOWEST: ProtocolVersion = { major: 1, minor: 0 };

export class Dispatcher {
  private readonly handlers: ReadonlyMap<number, OperationHandler<unknown, unknown>>;
  private readonly opList: readonly number[];
  /** Invalidates the crypto provider's key export cache for objects a commit wrote. */
  private readonly written: ((uids: readonly string[]) => void) | undefined;

  constructor(private readonly opts: DispatcherOptions) {
    const m = new Map<number, OperationHandler<unknown, unknown>>();
    for (const h of opts.operations) m.set(h.operation, h as unknown as OperationHandler<unknown, unknown>);
    this.handlers = m;
    this.opList = [...m.keys()];
    const crypto = opts.crypto;
    this.written = crypto.forgetExported === undefined ? undefined : (uids) => crypto.forgetExported?.(uids);
  }

  /** Handles one framed message. Resolves with the response bytes; never rejects for client input. */
  async handle(message: Uint8Array, peer: Peer): Promise<Buffer> {
    const now = this.opts.now?.() ?? new Date();
    // Lazy: built only if something is logged (most requests log nothing at the usual levels).
    const log = lazyChild(this.opts.log, { connId: peer.connId, client: peer.principal });
    let tree: TtlvNode;
    try {
      tree = decodeTtlv(message);
    } catch (e) {
      if (!(e instanceof TtlvError)) throw e;
      log.warn({ code: e.code, offset: e.offset }, 'malformed TTLV request');
      return this.messageError(peer, LOWEST, now, ResultReason.InvalidMessage, 'Malformed TTLV');
    }
    const peeked = peekProtocolVersion(tree);
    let req: RequestMessage;
    try {
      req = decodeRequestMessage(tree);
    } catch (e) {
      if (!(e instanceof KmipError)) throw e;
      log.warn({ reason: e.reason }, 'invalid request message');
      return this.messageError(peer, peeked !== undefined && isSupported(peeked) ? peeked : LOWEST, now, e.reason, e.message);
    }
    const version = req.header.protocolVersion;
    if (!isSupported(version)) {
      const answer = fallbackVersion(version);
      // KMIP 2.x has a reason for this; 1.x clients only know Invalid Message.
      const reason = is2x(answer) ? ResultReason.UnsupportedProtocolVersion : ResultReason.InvalidMessage;
      return this.messageError(peer, answer, now, reason, 'Protocol version not supported', req);
    }

    const items = await runBatch(req, {
      handlers: this.handlers,
      store: this.opts.store,
      written: this.written,
      context: (tx, item): RequestContext => ({
        principal: peer.principal,
        version,
        log: lazyChild(log, { op: item.operation }),
        store: this.opts.store,
        tx,
        crypto: this.opts.crypto,
        now,
        server: this.opts.server,
        operations: this.opList,
        idPlaceholder: undefined,
      }),
    });
    return this.encode(version, now, items);
  }

  private encode(version: ProtocolVersion, now: Date, items: readonly ResponseBatchItem[]): Buffer {
    const timeStamp = BigInt(Math.floor(now.getTime() / 1000));
    return encodeTtlv(encodeResponseMessage({ protocolVersion: version, timeStamp, items }));
  }

  /**
   * A response whose every item (or one item, when the request is unreadable) failed. Refused
   * messages are audited too, once durable like any request: one record per batch item, or one
   * with operation "Message" when the items cannot be read (probes and broken clients show up in
   * the chain, not only in the logs).
   */
  private async messageError(peer: Peer, version: ProtocolVersion, now: Date, reason: number, message: string, req?: RequestMessage): Promise<Buffer> {
    const time = now.toISOString();
    const audit: AuditEntry[] = [];
    const items: ResponseBatchItem[] = [];
    for (const item of req?.items ?? [undefined]) {
      audit.push({ time, principal: peer.principal, operation: item === undefined ? 'Message' : operationLabel(item.operation), uids: [], result: failureLabel(reason) });
      items.push({
        operation: item?.operation,
        uniqueBatchItemId: item?.uniqueBatchItemId,
        resultStatus: ResultStatus.OperationFailed,
        resultReason: reason,
        resultMessage: message,
      });
    }
    await this.opts.store.commit({ put: [], delete: [], audit });
    return this.encode(version, now, items);
  }
}
