/**
 * Attributes the server sets on Create (KMIP 1.4 §3, 2.1 §4): Digest (SHA-256 of the Raw key,
 * OASIS SKLC-M-1/2/3), Fresh, Sensitive / Always Sensitive / Extractable / Never Extractable,
 * Random Number Generator, Original Creation Date; and that GetAttributes at 1.x shows only
 * the attributes of the client's version.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../src/dispatch/dispatcher.js';
import { CertificateType, CryptographicAlgorithm, HashingAlgorithm, KeyFormatType, ObjectType, Operation, ResultReason, ResultStatus, Tag } from '../src/kmip/generated/index.js';
import { certificateNameAttributes } from '../src/operations/server-attributes.js';
import { generateDevPki } from '../src/server/pki/dev-pki.js';
import { bool, bytes, child, enm, int, interval, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemSpec, parseResponse, payloadText, request } from './helpers/kmip-request.js';
import { testDispatcher } from './helpers/dispatcher.js';

type V = [number, number];

describe('Create: server-set attributes', () => {
  let d: Dispatcher;
  beforeEach(() => {
    d = testDispatcher();
  });
  const send = async (v: V, items: ItemSpec[]) => parseResponse(await d.handle(request(v, items), { principal: 'alice', connId: 'c' }));
  const create = async (v: V, extra: TtlvNode[] = []) => {
    const list = [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 256), int(Tag.CryptographicUsageMask, 12), ...extra];
    const attrs =
      v[0] >= 2
        ? struct(Tag.Attributes, list)
        : struct(
            Tag.TemplateAttribute,
            list.map((x) => struct(Tag.Attribute, [text(Tag.AttributeName, x.tag === Tag.CryptographicAlgorithm ? 'Cryptographic Algorithm' : x.tag === Tag.CryptographicLength ? 'Cryptographic Length' : x.tag === Tag.CryptographicUsageMask ? 'Cryptographic Usage Mask' : 'Digest'), { ...x, tag: Tag.AttributeValue } as TtlvNode])),
          );
    return send(v, [{ operation: Operation.Create, payload: [enm(Tag.ObjectType, ObjectType.SymmetricKey), attrs] }]);
  };
  const uidOf = (r: Awaited<ReturnType<typeof create>>) => {
    expect(r.items[0]!.status, r.items[0]!.message).toBe(ResultStatus.Success);
    return payloadText(r.items[0]!, Tag.UniqueIdentifier)!;
  };
  /** All attributes from GetAttributes, by tag (2.x) or by the value's tag name (1.x: Attribute Name). */
  const attributes = async (v: V, uid: string): Promise<Map<string | number, TtlvNode>> => {
    const r = await send(v, [{ operation: Operation.GetAttributes, payload: [text(Tag.UniqueIdentifier, uid)] }]);
    expect(r.items[0]!.status, r.items[0]!.message).toBe(ResultStatus.Success);
    const p = r.items[0]!.payload!;
    const out = new Map<string | number, TtlvNode>();
    if (v[0] >= 2) for (const n of child(p, Tag.Attributes)!.value as TtlvNode[]) out.set(n.tag, n);
    else
      for (const n of p.value as TtlvNode[]) {
        if (n.tag !== Tag.Attribute) continue;
        out.set(child(n, Tag.AttributeName)!.value as string, child(n, Tag.AttributeValue)!);
      }
    return out;
  };

  it('2.1: Digest is SHA-256 of the Raw key Get returns; sensitivity flags, Fresh, RNG, Original Creation Date', async () => {
    const v: V = [2, 1];
    const uid = uidOf(await create(v));
    const a = await attributes(v, uid);
    const g = await send(v, [{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid)] }]);
    const raw = child(child(child(child(g.items[0]!.payload!, Tag.SymmetricKey)!, Tag.KeyBlock)!, Tag.KeyValue)!, Tag.KeyMaterial)!.value as Uint8Array;
    const digest = a.get(Tag.Digest)!;
    expect(child(digest, Tag.HashingAlgorithm)!.value).toBe(HashingAlgorithm.SHA_256);
    expect(Buffer.from(child(digest, Tag.DigestValue)!.value as Uint8Array)).toEqual(createHash('sha256').update(raw).digest());
    expect(child(digest, Tag.KeyFormatType)!.value).toBe(KeyFormatType.Raw);
    expect(a.get(Tag.Fresh)?.value).toBe(true);
    expect(a.get(Tag.Sensitive)?.value).toBe(false);
    expect(a.get(Tag.AlwaysSensitive)?.value).toBe(false);
    expect(a.get(Tag.Extractable)?.value).toBe(true);
    expect(a.get(Tag.NeverExtractable)?.value).toBe(false);
    expect(child(a.get(Tag.RandomNumberGenerator)!, Tag.RNGAlgorithm)).toBeDefined();
    expect(a.get(Tag.OriginalCreationDate)).toBeDefined();
  });

  it('2.1: a non-extractable, sensitive key has no Digest, Never Extractable and Always Sensitive', async () => {
    const v: V = [2, 1];
    const uid = uidOf(await create(v, [bool(Tag.Extractable, false), bool(Tag.Sensitive, true)]));
    const a = await attributes(v, uid);
    expect(a.has(Tag.Digest)).toBe(false);
    expect(a.get(Tag.Extractable)?.value).toBe(false);
    expect(a.get(Tag.NeverExtractable)?.value).toBe(true);
    expect(a.get(Tag.Sensitive)?.value).toBe(true);
    expect(a.get(Tag.AlwaysSensitive)?.value).toBe(true);
  });

  it('1.4 shows the 1.4 attributes; 1.2 neither the sensitivity flags nor the RNG (1.3+); 1.1 no Original Creation Date (1.2+)', async () => {
    const a14 = await attributes([1, 4], uidOf(await create([1, 4])));
    for (const n of ['Digest', 'Fresh', 'Sensitive', 'Always Sensitive', 'Extractable', 'Never Extractable', 'Random Number Generator']) expect(a14.has(n), n).toBe(true);
    // Original Creation Date is a 1.2 attribute (1.4 §3.43), whichever version created the key.
    expect(a14.has('Original Creation Date')).toBe(true);
    const uid = uidOf(await create([2, 1]));
    const a12 = await attributes([1, 2], uid);
    for (const n of ['Digest', 'Fresh', 'Original Creation Date']) expect(a12.has(n), n).toBe(true);
    for (const n of ['Sensitive', 'Always Sensitive', 'Extractable', 'Never Extractable', 'Random Number Generator']) expect(a12.has(n), n).toBe(false);
    const a11 = await attributes([1, 1], uid);
    expect(a11.has('Fresh')).toBe(true);
    expect(a11.has('Original Creation Date')).toBe(false);
  });

  it('Quantum Safe = True refuses keys under 128 bits of post-quantum strength: General Failure NOT_SAFE (OASIS QS-M-2-21)', async () => {
    const qs = (bits: number) =>
      send([2, 1], [
        {
          operation: Operation.Create,
          payload: [
            enm(Tag.ObjectType, ObjectType.SymmetricKey),
            struct(Tag.Attributes, [
              enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
              int(Tag.CryptographicLength, bits),
              int(Tag.CryptographicUsageMask, 12),
              enm(Tag.ProtectionLevel, 1),
              interval(Tag.ProtectionPeriod, 409968000),
              bool(Tag.QuantumSafe, true),
            ]),
          ],
        },
      ]);
    for (const bits of [128, 192]) {
      const r = await qs(bits);
      expect(r.items[0]!.status).toBe(ResultStatus.OperationFailed);
      expect(r.items[0]!.reason).toBe(ResultReason.GeneralFailure);
      expect(r.items[0]!.message).toBe('NOT_SAFE');
    }
    expect((await qs(256)).items[0]!.status).toBe(ResultStatus.Success);
    // Without Quantum Safe, AES-128 is created as before.
    uidOf(await create([2, 1], [interval(Tag.ProtectionPeriod, 409968000)]));
  });

  it('refuses a client-supplied Digest: Read Only Attribute at 2.1, Invalid Field at 1.4', async () => {
    const digest = struct(Tag.Digest, [enm(Tag.HashingAlgorithm, HashingAlgorithm.SHA_256), bytes(Tag.DigestValue, new Uint8Array(32))]);
    const r2 = await create([2, 1], [digest]);
    expect(r2.items[0]!.reason).toBe(ResultReason.ReadOnlyAttribute);
    const r1 = await create([1, 4], [digest]);
    expect(r1.items[0]!.reason).toBe(ResultReason.InvalidField);
  });

  it('every new object has a Short Unique Identifier (SHA-256 of its Unique Identifier; 2.x only) and keys a Lease Time', async () => {
    const uid = uidOf(await create([2, 0]));
    const a = await attributes([2, 0], uid);
    expect(Buffer.from(a.get(Tag.ShortUniqueIdentifier)!.value as Uint8Array)).toEqual(createHash('sha256').update(uid, 'utf8').digest());
    expect(a.get(Tag.LeaseTime)?.value).toBe(3600);
    expect(a.get(Tag.ProtectionStorageMask)?.value).toBe(1); // Software: values live in the LevelDB store
    const a14 = await attributes([1, 4], uid);
    expect(a14.has('Lease Time')).toBe(true);
    expect(a14.has('Protection Storage Mask')).toBe(false);
    expect([...a14.keys()].some((k) => String(k).includes('Short'))).toBe(false);
  });

  it('Register: Always Sensitive / Never Extractable follow the client\'s Sensitive / Extractable (BL-M-12-21); a key without its value has Key Value Present False (TC-MDO-1)', async () => {
    const v: V = [2, 1];
    const keyBlock = (withValue: boolean) =>
      struct(Tag.SymmetricKey, [
        struct(Tag.KeyBlock, [
          enm(Tag.KeyFormatType, KeyFormatType.Raw),
          ...(withValue ? [struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, new Uint8Array(16).fill(7))])] : []),
          enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
          int(Tag.CryptographicLength, 128),
        ]),
      ]);
    const register = (attrs: TtlvNode[], withValue: boolean) =>
      send(v, [{ operation: Operation.Register, payload: [enm(Tag.ObjectType, ObjectType.SymmetricKey), struct(Tag.Attributes, [int(Tag.CryptographicUsageMask, 12), ...attrs]), keyBlock(withValue)] }]);
    const sensitive = await attributes(v, uidOf(await register([bool(Tag.Sensitive, true), bool(Tag.Extractable, false)], true)));
    expect(sensitive.get(Tag.AlwaysSensitive)?.value).toBe(true);
    expect(sensitive.get(Tag.NeverExtractable)?.value).toBe(true);
    expect(sensitive.has(Tag.KeyValuePresent)).toBe(false);
    const plain = await attributes(v, uidOf(await register([], true)));
    expect(plain.get(Tag.Sensitive)?.value).toBe(false);
    expect(plain.get(Tag.AlwaysSensitive)?.value).toBe(false);
    expect(plain.get(Tag.Extractable)?.value).toBe(true);
    expect(plain.get(Tag.NeverExtractable)?.value).toBe(false);
    // A registered key was not generated by the server: no Random Number Generator.
    expect(plain.has(Tag.RandomNumberGenerator)).toBe(false);
    // Registered objects are Fresh too: no client has been served them yet (TC-CERTATTR-1-20).
    expect(plain.get(Tag.Fresh)?.value).toBe(true);
    // Fresh may be set by the client too (1.4 §3.34; BL-M-13-21 registers Fresh True).
    const clientFresh = await attributes(v, uidOf(await register([bool(Tag.Fresh, false)], true)));
    expect(clientFresh.get(Tag.Fresh)?.value).toBe(false);
    const metadataOnly = await attributes(v, uidOf(await register([], false)));
    expect(metadataOnly.get(Tag.KeyValuePresent)?.value).toBe(false);
  });

  it('the first Get serves the key: Fresh becomes False (TL-M-3), at 1.x and 2.x alike', async () => {
    for (const v of [[1, 4], [2, 1]] as V[]) {
      const uid = uidOf(await create(v));
      const key = v[0] >= 2 ? Tag.Fresh : 'Fresh';
      expect((await attributes(v, uid)).get(key)?.value).toBe(true);
      const g = await send(v, [{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid)] }]);
      expect(g.items[0]!.status).toBe(ResultStatus.Success);
      expect((await attributes(v, uid)).get(key)?.value).toBe(false);
      if (v[0] < 2) continue;
      // A refused Get serves nothing.
      const other = uidOf(await create(v, [bool(Tag.Extractable, false)]));
      const refused = await send(v, [{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, other)] }]);
      expect(refused.items[0]!.status).toBe(ResultStatus.OperationFailed);
      expect((await attributes(v, other)).get(key)?.value).toBe(true);
    }
  });

  it('Register of an X.509 certificate derives the subject / issuer name attributes (BL-M-10-21); 1.4 sees them (TC-CERTATTR-1-14), 1.3 none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmipd-certattrs-'));
    try {
      generateDevPki({ dir, clients: ['carol'], keyType: 'ec' });
      const der = new X509Certificate(readFileSync(join(dir, 'carol.crt'))).raw;
      const names = certificateNameAttributes(der);
      expect(names.find((n) => n.tag === Tag.CertificateSubjectCN)?.value).toBe('carol');
      expect(names.find((n) => n.tag === Tag.CertificateIssuerCN)?.value).toBe('kmipd dev CA');
      expect(certificateNameAttributes(new Uint8Array([1, 2, 3]))).toEqual([]);
      const r = await send([2, 1], [
        {
          operation: Operation.Register,
          payload: [
            enm(Tag.ObjectType, ObjectType.Certificate),
            struct(Tag.Attributes, []),
            struct(Tag.Certificate, [enm(Tag.CertificateType, CertificateType.X_509), bytes(Tag.CertificateValue, der)]),
          ],
        },
      ]);
      const uid = uidOf(r);
      expect((await attributes([2, 1], uid)).get(Tag.CertificateSubjectCN)?.value).toBe('carol');
      expect([...(await attributes([1, 3], uid)).keys()].some((k) => String(k).startsWith('Certificate Subject C'))).toBe(false);
      expect([...(await attributes([1, 4], uid)).keys()].some((k) => String(k).startsWith('Certificate Subject C'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
