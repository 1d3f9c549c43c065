/**
 * Register, Get and Locate live: mutual TLS, SoftHSM2 and LevelDB. Secret values of every kind
 * (an AES key in the HSM, 96-byte Secret Data, a 1.3 KB private key cut into generic-secret chunks)
 * round-trip through the real HSM wrapping and never appear in LevelDB's files in the clear.
 */
import { readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CryptographicAlgorithm, KeyFormatType, NameType, ObjectType, Operation, ResultStatus, SecretDataType, Tag } from '../src/kmip/generated/index.js';
import { bytes, child, children, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { parseResponse, payloadText, request } from './helpers/kmip-request.js';
import { startTestKmipd, testPki } from './helpers/kmipd.js';
import { KmipTestClient, loadClientCerts } from './helpers/tls-client.js';

const work = mkdtempSync(join(tmpdir(), 'kmipd-register-'));
const certDir = join(work, 'certs');

const AES = Buffer.from('6b8d2f1e0c3a49d7a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60717', 'hex');
const SECRET = Buffer.from(Array.from({ length: 96 }, (_, i) => (i * 37 + 11) & 0xff));
const PRIVATE = Buffer.from(Array.from({ length: 1301 }, (_, i) => (i * 53 + 7) & 0xff));

const block = (fmt: number, m: Uint8Array, alg?: number, len?: number): TtlvNode =>
  struct(Tag.KeyBlock, [
    enm(Tag.KeyFormatType, fmt),
    struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, m)]),
    ...(alg !== undefined ? [enm(Tag.CryptographicAlgorithm, alg)] : []),
    ...(len !== undefined ? [int(Tag.CryptographicLength, len)] : []),
  ]);

const objects: [number, TtlvNode, Buffer][] = [
  [ObjectType.SymmetricKey, struct(Tag.SymmetricKey, [block(KeyFormatType.Raw, AES, CryptographicAlgorithm.AES, 256)]), AES],
  [ObjectType.SecretData, struct(Tag.SecretData, [enm(Tag.SecretDataType, SecretDataType.Password), block(KeyFormatType.Opaque, SECRET)]), SECRET],
  [ObjectType.PrivateKey, struct(Tag.PrivateKey, [block(KeyFormatType.PKCS_8, PRIVATE, CryptographicAlgorithm.RSA, 2048)]), PRIVATE],
];

function keyMaterial(p: TtlvNode): Buffer {
  const obj = (p.type === 'Structure' ? p.value[2] : undefined)!;
  const kv = child(child(obj, Tag.KeyBlock)!, Tag.KeyValue)!;
  return Buffer.from(child(kv, Tag.KeyMaterial)!.value as Uint8Array);
}

describe.each([
  ['1.2', [1, 2] as [number, number]],
  ['2.0', [2, 0] as [number, number]],
])('Register / Get / Locate live at KMIP %s (TLS + SoftHSM2 + LevelDB)', (label, v) => {
  const dataDir = join(work, `data-${label}`);
  beforeAll(() => testPki(certDir, ['alice']));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('round-trips each secret type through the HSM and finds them by name; no plaintext in LevelDB', async () => {
    const s = await startTestKmipd({ dataDir, certDir });
    const c = await KmipTestClient.connect(s.port, loadClientCerts(certDir, 'alice'));
    try {
      const uids: string[] = [];
      for (const [type, obj, value] of objects) {
        const nm = struct(Tag.Name, [text(Tag.NameValue, `live-${type}`), enm(Tag.NameType, NameType.UninterpretedTextString)]);
        const attrs =
          v[0] >= 2
            ? struct(Tag.Attributes, [nm])
            : struct(Tag.TemplateAttribute, [struct(Tag.Attribute, [text(Tag.AttributeName, 'Name'), { ...nm, tag: Tag.AttributeValue }])]);
        const r = parseResponse((await c.roundTrip(request(v, [{ operation: Operation.Register, payload: [enm(Tag.ObjectType, type), attrs, obj] }])))!);
        expect(r.items[0]!.status, r.items[0]!.message).toBe(ResultStatus.Success);
        const uid = payloadText(r.items[0]!, Tag.UniqueIdentifier)!;
        uids.push(uid);
        const g = parseResponse((await c.roundTrip(request(v, [{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid)] }])))!);
        expect(g.items[0]!.status, g.items[0]!.message).toBe(ResultStatus.Success);
        expect(keyMaterial(g.items[0]!.payload!).equals(value)).toBe(true);
      }
      const loc = parseResponse((await c.roundTrip(request(v, [{ operation: Operation.Locate, payload: [] }])))!);
      expect(children(loc.items[0]!.payload!, Tag.UniqueIdentifier).map((n) => n.value)).toEqual([...uids].reverse());
    } finally {
      c.close();
      await s.close();
    }
    const dir = join(dataDir, 'store');
    for (const f of readdirSync(dir)) {
      const content = readFileSync(join(dir, f));
      for (const [, , value] of objects) {
        expect(content.includes(value), `${f} holds a secret in the clear`).toBe(false);
        expect(content.includes(Buffer.from(value.toString('base64'))), `${f} holds a secret in base64`).toBe(false);
      }
    }
  });
});
