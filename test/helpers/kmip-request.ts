/**
 * Test-side request building and response reading over the generic tree, shared by the
 * in-process dispatcher tests, the TLS end-to-end tests and the load generator.
 */
import { bytes, child, children, enm, int, struct } from '../../src/ttlv/build.js';
import { decodeTtlv } from '../../src/ttlv/decode.js';
import { encodeTtlv } from '../../src/ttlv/encode.js';
import type { TtlvNode } from '../../src/ttlv/types.js';
import { Tag } from '../../src/kmip/generated/index.js';

export interface ItemSpec {
  operation: number;
  payload?: TtlvNode[];
  id?: Uint8Array;
}

export function requestTree(
  version: [number, number],
  items: ItemSpec[],
  header: TtlvNode[] = [],
): TtlvNode {
  return struct(Tag.RequestMessage, [
    struct(Tag.RequestHeader, [
      struct(Tag.ProtocolVersion, [int(Tag.ProtocolVersionMajor, version[0]), int(Tag.ProtocolVersionMinor, version[1])]),
      ...header,
      int(Tag.BatchCount, items.length),
    ]),
    ...items.map((it, i) =>
      struct(Tag.BatchItem, [
        enm(Tag.Operation, it.operation),
        ...(items.length > 1 ? [bytes(Tag.UniqueBatchItemID, it.id ?? Uint8Array.of(i + 1))] : []),
        struct(Tag.RequestPayload, it.payload ?? []),
      ]),
    ),
  ]);
}

export function request(version: [number, number], items: ItemSpec[], header: TtlvNode[] = []): Buffer {
  return encodeTtlv(requestTree(version, items, header));
}

export interface ItemResult {
  operation?: number;
  status: number;
  reason?: number;
  message?: string;
  payload?: TtlvNode;
}

export interface ParsedResponse {
  version: [number, number];
  items: ItemResult[];
  tree: TtlvNode;
}

export function parseResponse(buf: Uint8Array): ParsedResponse {
  const tree = decodeTtlv(buf);
  if (tree.tag !== Tag.ResponseMessage) throw new Error('not a Response Message');
  const header = child(tree, Tag.ResponseHeader)!;
  const pv = child(header, Tag.ProtocolVersion)!;
  const version: [number, number] = [
    child(pv, Tag.ProtocolVersionMajor)!.value as number,
    child(pv, Tag.ProtocolVersionMinor)!.value as number,
  ];
  const items = children(tree, Tag.BatchItem).map((bi) => ({
    operation: child(bi, Tag.Operation)?.value as number | undefined,
    status: child(bi, Tag.ResultStatus)!.value as number,
    reason: child(bi, Tag.ResultReason)?.value as number | undefined,
    message: child(bi, Tag.ResultMessage)?.value as string | undefined,
    payload: child(bi, Tag.ResponsePayload),
  }));
  return { version, items, tree };
}

/** Text value of a payload child. */
export function payloadText(item: ItemResult, tag: number): string | undefined {
  const n = item.payload === undefined ? undefined : child(item.payload, tag);
  return n?.type === 'TextString' ? n.value : undefined;
}
