/**
 * Request and response messages: the typed view of KMIP 1.4 §7 / 2.1 §8 (Tables 394–399).
 * Payloads stay as trees here; each operation decodes its own payload.
 */
import { bytes, dateTime, enm, int, struct, text } from '../ttlv/build.js';
import type { StructureNode, TtlvNode } from '../ttlv/types.js';
import { invalidMessage } from './errors.js';
import { Fields } from './fields.js';
import { BatchErrorContinuationOption, Tag } from './generated/index.js';
import type { ProtocolVersion } from './protocol-version.js';

export interface RequestHeader {
  readonly protocolVersion: ProtocolVersion;
  readonly maximumResponseSize?: number;
  readonly clientCorrelationValue?: string;
  readonly serverCorrelationValue?: string;
  readonly asynchronousIndicator?: boolean;
  /** Kept as a tree: credentials are checked by the policy layer, and clients nest them loosely. */
  readonly authentication?: TtlvNode;
  readonly batchErrorContinuationOption: number;
  readonly batchOrderOption?: boolean;
  readonly timeStamp?: bigint;
  readonly batchCount: number;
}

export interface RequestBatchItem {
  readonly operation: number;
  readonly uniqueBatchItemId?: Uint8Array;
  /** The Request Payload structure (may be absent in malformed requests; handlers decide). */
  readonly payload?: StructureNode;
  readonly ephemeral?: boolean;
  readonly messageExtensions: readonly TtlvNode[];
}

export interface RequestMessage {
  readonly header: RequestHeader;
  readonly items: readonly RequestBatchItem[];
}

/** Reads just the protocol version, best effort, so that even a bad request is answered in kind. */
export function peekProtocolVersion(node: TtlvNode): ProtocolVersion | undefined {
  try {
    const msg = new Fields(node, 'Request Message', true);
    const pv = msg.struct(Tag.RequestHeader)?.struct(Tag.ProtocolVersion);
    const major = pv?.int(Tag.ProtocolVersionMajor);
    const minor = pv?.int(Tag.ProtocolVersionMinor);
    return major === undefined || minor === undefined ? undefined : { major, minor };
  } catch {
    return undefined;
  }
}

/** Tree -> typed request. Structural problems throw KmipError(Invalid Message). */
export function decodeRequestMessage(node: TtlvNode): RequestMessage {
  if (node.tag !== Tag.RequestMessage) throw invalidMessage('Expected a Request Message');
  const msg = new Fields(node, 'Request Message', true);
  const h = msg.struct(Tag.RequestHeader, 'Request Header');
  if (h === undefined) throw invalidMessage('Request Header is required');
  const pv = h.struct(Tag.ProtocolVersion, 'Protocol Version');
  if (pv === undefined) throw invalidMessage('Protocol Version is required');
  const major = pv.opt(Tag.ProtocolVersionMajor, 'Integer')?.value;
  const minor = pv.opt(Tag.ProtocolVersionMinor, 'Integer')?.value;
  if (major === undefined || minor === undefined) throw invalidMessage('Protocol Version is incomplete');

  const batchCount = h.opt(Tag.BatchCount, 'Integer')?.value;
  if (batchCount === undefined) throw invalidMessage('Batch Count is required');
  const maximumResponseSize = h.int(Tag.MaximumResponseSize);
  if (maximumResponseSize !== undefined && maximumResponseSize <= 0) {
    throw invalidMessage('Maximum Response Size must be positive');
  }

  const items = msg.all(Tag.BatchItem).map(decodeBatchItem);
  if (items.length === 0) throw invalidMessage('A request needs at least one Batch Item');
  if (items.length !== batchCount) throw invalidMessage('Batch Count does not match the number of Batch Items');
  // KMIP 2.1 §8.5: Unique Batch Item ID is required when Batch Count > 1.
  if (items.length > 1 && items.some((i) => i.uniqueBatchItemId === undefined)) {
    throw invalidMessage('Unique Batch Item ID is required when Batch Count > 1');
  }

  const header: RequestHeader = {
    protocolVersion: { major, minor },
    maximumResponseSize,
    clientCorrelationValue: h.text(Tag.ClientCorrelationValue),
    serverCorrelationValue: h.text(Tag.ServerCorrelationValue),
    asynchronousIndicator: h.bool(Tag.AsynchronousIndicator),
    authentication: h.opt(Tag.Authentication, 'Structure'),
    batchErrorContinuationOption: h.enum(Tag.BatchErrorContinuationOption) ?? BatchErrorContinuationOption.Stop,
    batchOrderOption: h.bool(Tag.BatchOrderOption),
    timeStamp: h.opt(Tag.TimeStamp, 'DateTime')?.value,
    batchCount,
  };
  return { header, items };
}

function decodeBatchItem(node: TtlvNode): RequestBatchItem {
  const f = new Fields(node, 'Batch Item', true);
  const operation = f.enum(Tag.Operation);
  if (operation === undefined) throw invalidMessage('Batch Item: Operation is required');
  return {
    operation,
    uniqueBatchItemId: f.bytes(Tag.UniqueBatchItemID),
    payload: f.opt(Tag.RequestPayload, 'Structure'),
    ephemeral: f.bool(Tag.Ephemeral),
    messageExtensions: f.all(Tag.MessageExtension),
  };
}

export interface ResponseBatchItem {
  readonly operation?: number;
  readonly uniqueBatchItemId?: Uint8Array;
  readonly resultStatus: number;
  readonly resultReason?: number;
  readonly resultMessage?: string;
  /** Response Payload children (wrapped in a Response Payload structure on encode). */
  readonly payload?: readonly TtlvNode[];
}

export interface ResponseMessage {
  readonly protocolVersion: ProtocolVersion;
  readonly timeStamp: bigint;
  readonly clientCorrelationValue?: string;
  readonly serverCorrelationValue?: string;
  readonly items: readonly ResponseBatchItem[];
}

export function encodeResponseBatchItem(item: ResponseBatchItem): StructureNode {
  const c: TtlvNode[] = [];
  if (item.operation !== undefined) c.push(enm(Tag.Operation, item.operation));
  if (item.uniqueBatchItemId !== undefined) c.push(bytes(Tag.UniqueBatchItemID, item.uniqueBatchItemId));
  c.push(enm(Tag.ResultStatus, item.resultStatus));
  if (item.resultReason !== undefined) c.push(enm(Tag.ResultReason, item.resultReason));
  if (item.resultMessage !== undefined) c.push(text(Tag.ResultMessage, item.resultMessage));
  if (item.payload !== undefined) c.push(struct(Tag.ResponsePayload, [...item.payload]));
  return struct(Tag.BatchItem, c);
}

/** Typed response -> tree. Correlation values are 1.4+ fields; the caller omits them for older clients. */
export function encodeResponseMessage(msg: ResponseMessage, items?: readonly StructureNode[]): StructureNode {
  const h: TtlvNode[] = [
    struct(Tag.ProtocolVersion, [
      int(Tag.ProtocolVersionMajor, msg.protocolVersion.major),
      int(Tag.ProtocolVersionMinor, msg.protocolVersion.minor),
    ]),
    dateTime(Tag.TimeStamp, msg.timeStamp),
  ];
  if (msg.clientCorrelationValue !== undefined) h.push(text(Tag.ClientCorrelationValue, msg.clientCorrelationValue));
  if (msg.serverCorrelationValue !== undefined) h.push(text(Tag.ServerCorrelationValue, msg.serverCorrelationValue));
  h.push(int(Tag.BatchCount, msg.items.length));
  const encodedItems = items ?? msg.items.map(encodeResponseBatchItem);
  return struct(Tag.ResponseMessage, [struct(Tag.ResponseHeader, h), ...encodedItems]);
}

