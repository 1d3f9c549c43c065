/**
 * The conformance harness's verification of unpredictable crypto outputs (test/conformance/
 * recompute.ts) against a live kmipd over mutual TLS: an Encrypt under a server-created key is
 * accepted only when node:crypto, with the key read back over a separate connection, gives the same
 * bytes; a wrong output is left to fail on the recorded bytes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockCipherMode, CryptographicAlgorithm, ObjectType, Operation, ResultStatus, Tag } from '../src/kmip/generated/index.js';
import { bool, bytes, dateTime, enm, int, struct, text } from '../src/ttlv/build.js';
import { decodeTtlv } from '../src/ttlv/decode.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { field } from './conformance/compare.js';
import { CaseObjects } from './conformance/recompute.js';
import { type TestKmipd, startTestKmipd, testPki } from './helpers/kmipd.js';
import { requestTree } from './helpers/kmip-request.js';
import { type ClientCerts, KmipTestClient, loadClientCerts } from './helpers/tls-client.js';
import { encodeTtlv } from '../src/ttlv/encode.js';

const V: [number, number] = [2, 1];
let work: string;
let kmipd: TestKmipd;
let certs: ClientCerts;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kmipd-recompute-'));
  testPki(join(work, 'certs'), ['alice']);
  certs = loadClientCerts(join(work, 'certs'), 'alice');
  kmipd = await startTestKmipd({ dataDir: join(work, 'data'), certDir: join(work, 'certs') });
}, 60_000);
afterAll(async () => {
  await kmipd?.close();
  rmSync(work, { recursive: true, force: true });
});

async function send(msg: TtlvNode): Promise<TtlvNode> {
  const c = await KmipTestClient.connect(kmipd.port, certs);
  try {
    return decodeTtlv((await c.roundTrip(encodeTtlv(msg)))!);
  } finally {
    c.close();
  }
}

/** A recorded response: one Success batch item with the given payload. */
function recorded(operation: number, payload: TtlvNode[]): TtlvNode {
  return struct(Tag.ResponseMessage, [
    struct(Tag.ResponseHeader, [int(Tag.BatchCount, 1)]),
    struct(Tag.BatchItem, [enm(Tag.Operation, operation), enm(Tag.ResultStatus, ResultStatus.Success), struct(Tag.ResponsePayload, payload)]),
  ]);
}

function dataOf(msg: TtlvNode): Uint8Array {
  const item = (msg.type === 'Structure' ? msg.value : []).find((c) => c.tag === Tag.BatchItem)!;
  return field(field(item, Tag.ResponsePayload)!, Tag.Data)!.value as Uint8Array;
}

describe('conformance: recomputed crypto outputs', () => {
  it('accepts an ECB Encrypt under a server-created key only when node:crypto agrees', async () => {
    const objects = new CaseObjects(kmipd.port, certs);
    const create = requestTree(V, [
      {
        operation: Operation.Create,
        payload: [
          enm(Tag.ObjectType, ObjectType.SymmetricKey),
          struct(Tag.Attributes, [
            enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
            int(Tag.CryptographicLength, 128),
            int(Tag.CryptographicUsageMask, 12),
            struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.ECB)]),
            dateTime(Tag.ActivationDate, BigInt(Math.floor(Date.now() / 1000) - 60)),
          ]),
        ],
      },
    ]);
    const created = await send(create);
    objects.note(create, created);
    const item = (created.type === 'Structure' ? created.value : []).find((c) => c.tag === Tag.BatchItem)!;
    const uid = field(field(item, Tag.ResponsePayload)!, Tag.UniqueIdentifier)!.value as string;

    const plain = Buffer.from('01020304050607080910111213141516', 'hex');
    const encrypt = requestTree(V, [{ operation: Operation.Encrypt, payload: [text(Tag.UniqueIdentifier, uid), bytes(Tag.Data, plain)] }]);
    const actual = await send(encrypt);
    const out = dataOf(actual);
    // The recording's bytes came from another server's key.
    const expected = recorded(Operation.Encrypt, [text(Tag.UniqueIdentifier, uid), bytes(Tag.Data, Buffer.from('fd912d102dbb482f6f6e91bd57119095', 'hex'))]);
    const ok = await objects.verified(encrypt, expected, actual, V);
    expect(Buffer.from(dataOf(ok))).toEqual(Buffer.from(out));

    // A response whose bytes are not AES-ECB under the key is not vouched for.
    const tampered = Buffer.from(out);
    tampered[0] = tampered[0]! ^ 1;
    const bad = recorded(Operation.Encrypt, [text(Tag.UniqueIdentifier, uid), bytes(Tag.Data, tampered)]);
    const notOk = await objects.verified(encrypt, expected, bad, V);
    expect(Buffer.from(dataOf(notOk)).toString('hex')).toBe('fd912d102dbb482f6f6e91bd57119095');
  }, 60_000);

  it('follows a streamed Encrypt part by part and accepts only outputs node:crypto agrees with', async () => {
    const create = requestTree(V, [
      {
        operation: Operation.Create,
        payload: [
          enm(Tag.ObjectType, ObjectType.SymmetricKey),
          struct(Tag.Attributes, [
            enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
            int(Tag.CryptographicLength, 128),
            int(Tag.CryptographicUsageMask, 12),
            struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.ECB)]),
            dateTime(Tag.ActivationDate, BigInt(Math.floor(Date.now() / 1000) - 60)),
          ]),
        ],
      },
    ]);
    const created = await send(create);
    const item = (created.type === 'Structure' ? created.value : []).find((c) => c.tag === Tag.BatchItem)!;
    const uid = field(field(item, Tag.ResponsePayload)!, Tag.UniqueIdentifier)!.value as string;
    const good = new CaseObjects(kmipd.port, certs);
    const bad = new CaseObjects(kmipd.port, certs);
    good.note(create, created);
    bad.note(create, created);

    // One connection carries the stream (TC-STREAM-ENC-1: 8 bytes with Init, 8 more, then Final).
    const c = await KmipTestClient.connect(kmipd.port, certs);
    try {
      const rt = async (m: TtlvNode): Promise<TtlvNode> => decodeTtlv((await c.roundTrip(encodeTtlv(m)))!);
      const init = requestTree(V, [
        { operation: Operation.Encrypt, payload: [text(Tag.UniqueIdentifier, uid), bytes(Tag.Data, Buffer.from('0102030405060708', 'hex')), bool(Tag.InitIndicator, true)] },
      ]);
      const initResp = await rt(init);
      const initItem = (initResp.type === 'Structure' ? initResp.value : []).find((n) => n.tag === Tag.BatchItem)!;
      const corr = field(field(initItem, Tag.ResponsePayload)!, Tag.CorrelationValue)!;
      const initRecorded = recorded(Operation.Encrypt, [text(Tag.UniqueIdentifier, uid), bytes(Tag.CorrelationValue, Buffer.from('$CORRELATION_VALUE'))]);
      await good.verified(init, initRecorded, initResp, V);
      await bad.verified(init, initRecorded, initResp, V);

      const part = requestTree(V, [{ operation: Operation.Encrypt, payload: [text(Tag.UniqueIdentifier, uid), bytes(Tag.Data, Buffer.from('0910111213141516', 'hex')), corr] }]);
      const partResp = await rt(part);
      const out = dataOf(partResp);
      expect(out.length).toBe(16);
      const expected = recorded(Operation.Encrypt, [text(Tag.UniqueIdentifier, uid), bytes(Tag.Data, Buffer.from('fd912d102dbb482f6f6e91bd57119095', 'hex')), corr]);
      expect(Buffer.from(dataOf(await good.verified(part, expected, partResp, V)))).toEqual(Buffer.from(out));

      // Output that is not AES-ECB of the input so far is not vouched for.
      const tampered = Buffer.from(out);
      tampered[15] = tampered[15]! ^ 1;
      const badResp = recorded(Operation.Encrypt, [text(Tag.UniqueIdentifier, uid), bytes(Tag.Data, tampered), corr]);
      expect(Buffer.from(dataOf(await bad.verified(part, expected, badResp, V))).toString('hex')).toBe('fd912d102dbb482f6f6e91bd57119095');

      const fin = requestTree(V, [{ operation: Operation.Encrypt, payload: [text(Tag.UniqueIdentifier, uid), corr, bool(Tag.FinalIndicator, true)] }]);
      await rt(fin);
    } finally {
      c.close();
    }
  }, 60_000);
});
