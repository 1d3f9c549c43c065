/**
 * PKCS#12 live (mutual TLS, SoftHSM2, LevelDB) at KMIP 1.4 and 2.0, as OASIS TC-PKCS12-1 / -2 do
 * it: Get of a Private Key with Key Format Type PKCS#12 answers a PKCS#12 file holding the key and
 * the certificate chain its PKCS#12 Certificate Links name, under the password its PKCS#12
 * Password Link names; OpenSSL (the `openssl pkcs12` command) reads it back with that password
 * and refuses another. Refusals: no password link, a password not yet Active (also for Register of
 * a PKCS#12 key), a key that is not a private key.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPkcs12 } from '../src/kmip/pkcs12.js';
import { buildCertificate } from '../src/server/pki/x509-builder.js';
import { CertificateType, CryptographicAlgorithm, KeyFormatType, LinkType, ObjectType, Operation, ResultReason, SecretDataType, Tag } from '../src/kmip/generated/index.js';
import { bytes, child, dateTime, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { payloadText } from './helpers/kmip-request.js';
import { expectFailure, expectSuccess, requestAttributes, useLiveKmipd } from './helpers/live.js';

const kmipd = useLiveKmipd('pkcs12');
const work = mkdtempSync(join(tmpdir(), 'kmipd-pkcs12-files-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// A two-level chain: a CA and an end-entity certificate for the RSA key.
const ca = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ee = generateKeyPairSync('rsa', { modulusLength: 2048 });
const day = 86_400_000;
const caPem = buildCertificate({ subject: { commonName: 'PKCS12 CA' }, notBefore: new Date(Date.now() - day), notAfter: new Date(Date.now() + day), isCa: true }, ca.publicKey, { name: { commonName: 'PKCS12 CA' }, ...ca });
const eePem = buildCertificate({ subject: { commonName: 'PKCS12 EE' }, notBefore: new Date(Date.now() - day), notAfter: new Date(Date.now() + day), isCa: false }, ee.publicKey, { name: { commonName: 'PKCS12 CA' }, ...ca });
const caDer = new X509Certificate(caPem).raw;
const eeDer = new X509Certificate(eePem).raw;

const link = (type: number, uid: string): TtlvNode => struct(Tag.Link, [enm(Tag.LinkType, type), text(Tag.LinkedObjectIdentifier, uid)]);

/** `openssl pkcs12` over the file: its text output, or the thrown error. */
function openssl(p12: Uint8Array, pass: string): string {
  const file = join(work, `f${Math.random().toString(16).slice(2)}.p12`);
  writeFileSync(file, p12);
  return execFileSync('openssl', ['pkcs12', '-in', file, '-passin', `pass:${pass}`, '-nodes', '-info'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe.each([
  ['1.4', [1, 4] as [number, number]],
  ['2.0', [2, 0] as [number, number]],
])('PKCS#12 live at KMIP %s', (_label, v) => {
  const register = async (type: number, object: TtlvNode, attrs: TtlvNode[]) =>
    kmipd.one(v, Operation.Register, [enm(Tag.ObjectType, type), requestAttributes(v, attrs), object]);
  const uidOf = (r: Awaited<ReturnType<typeof register>>) => payloadText(expectSuccess(r), Tag.UniqueIdentifier)!;
  const password = (active: boolean) =>
    register(
      ObjectType.SecretData,
      struct(Tag.SecretData, [
        enm(Tag.SecretDataType, SecretDataType.Password),
        struct(Tag.KeyBlock, [enm(Tag.KeyFormatType, KeyFormatType.Opaque), struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, Buffer.from('s3cret pass'))])]),
      ]),
      active ? [dateTime(Tag.ActivationDate, BigInt(Math.floor(Date.now() / 1000) - 3600))] : [],
    );
  const privateKey = (attrs: TtlvNode[]) =>
    register(
      ObjectType.PrivateKey,
      struct(Tag.PrivateKey, [
        struct(Tag.KeyBlock, [
          enm(Tag.KeyFormatType, KeyFormatType.PKCS_8),
          struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, ee.privateKey.export({ type: 'pkcs8', format: 'der' }))]),
          enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.RSA),
          int(Tag.CryptographicLength, 2048),
        ]),
      ]),
      attrs,
    );
  const certificate = (der: Uint8Array, attrs: TtlvNode[] = []) =>
    register(ObjectType.Certificate, struct(Tag.Certificate, [enm(Tag.CertificateType, CertificateType.X_509), bytes(Tag.CertificateValue, der)]), attrs);
  const getPkcs12 = (uid: string) => kmipd.one(v, Operation.Get, [text(Tag.UniqueIdentifier, uid), enm(Tag.KeyFormatType, KeyFormatType.PKCS_12)]);

  it('answers the key and its certificate chain under the linked password', async () => {
    const pw = uidOf(await password(true));
    const caUid = uidOf(await certificate(caDer));
    const eeUid = uidOf(await certificate(eeDer, [link(LinkType.PKCS_12CertificateLink, caUid)]));
    const key = uidOf(await privateKey([link(LinkType.PKCS_12PasswordLink, pw), link(LinkType.PKCS_12CertificateLink, eeUid), text(Tag.PKCS_12FriendlyName, 'my key')]));
    const r = expectSuccess(await getPkcs12(key));
    const kb = child(child(r.payload!, Tag.PrivateKey)!, Tag.KeyBlock)!;
    expect(child(kb, Tag.KeyFormatType)?.value).toBe(KeyFormatType.PKCS_12);
    const kv = child(kb, Tag.KeyValue)!;
    // 1.4: the Key Value is the PKCS#12 itself (TC-PKCS12-1-14); 2.0: its Key Material (TC-PKCS12-1-20).
    const p12 = (v[0] >= 2 ? child(kv, Tag.KeyMaterial)! : kv).value as Uint8Array;
    const out = openssl(p12, 's3cret pass');
    expect(out).toContain('friendlyName: my key');
    expect(out).toContain('subject=CN = PKCS12 EE');
    expect(out).toContain('subject=CN = PKCS12 CA');
    const pem = /-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----/.exec(out)![0];
    const back = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
    expect(back.equals(ee.privateKey.export({ type: 'pkcs8', format: 'der' }))).toBe(true);
    expect(() => openssl(p12, 'wrong')).toThrow();
  });

  /** The object a PKCS#12 Certificate Link of `uid` names (Get Attributes, either version's shape). */
  const certificateLinkOf = async (uid: string): Promise<string | undefined> => {
    const r = expectSuccess(await kmipd.one(v, Operation.GetAttributes, [text(Tag.UniqueIdentifier, uid)]));
    const find = (n: TtlvNode): string | undefined => {
      if (n.type !== 'Structure') return undefined;
      const t = child(n, Tag.LinkType);
      if (t?.value === LinkType.PKCS_12CertificateLink) return child(n, Tag.LinkedObjectIdentifier)?.value as string;
      for (const c of n.value) {
        const f = find(c);
        if (f !== undefined) return f;
      }
      return undefined;
    };
    return find(r.payload!);
  };
  const pkcs12Key = (pfx: Uint8Array) =>
    struct(Tag.PrivateKey, [
      struct(Tag.KeyBlock, [enm(Tag.KeyFormatType, KeyFormatType.PKCS_12), v[0] >= 2 ? struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, pfx)]) : bytes(Tag.KeyValue, pfx)]),
    ]);

  it('Register of a PKCS#12 file keeps its key as PKCS#8 and registers its certificates, linked as Get PKCS#12 follows them', async () => {
    const pw = uidOf(await password(true));
    const pfx = await buildPkcs12({ key: ee.privateKey, certificates: [caDer, eeDer], password: Buffer.from('s3cret pass'), friendlyName: 'from file' });
    const key = uidOf(await register(ObjectType.PrivateKey, pkcs12Key(pfx), [link(LinkType.PKCS_12PasswordLink, pw)]));
    // The key: PKCS#8, RSA 2048, the bytes of the key that went in.
    const got = expectSuccess(await kmipd.one(v, Operation.Get, [text(Tag.UniqueIdentifier, key)]));
    const kb = child(child(got.payload!, Tag.PrivateKey)!, Tag.KeyBlock)!;
    expect(child(kb, Tag.KeyFormatType)?.value).toBe(KeyFormatType.PKCS_8);
    expect(child(kb, Tag.CryptographicAlgorithm)?.value).toBe(CryptographicAlgorithm.RSA);
    expect(child(kb, Tag.CryptographicLength)?.value).toBe(2048);
    const material = child(child(kb, Tag.KeyValue)!, Tag.KeyMaterial)!.value as Uint8Array;
    expect(Buffer.from(material).equals(ee.privateKey.export({ type: 'pkcs8', format: 'der' }))).toBe(true);
    // Its own certificate first, then the CA's, each a Certificate object, linked key -> EE -> CA.
    const certOf = async (uid: string) =>
      Buffer.from(child(child(expectSuccess(await kmipd.one(v, Operation.Get, [text(Tag.UniqueIdentifier, uid)])).payload!, Tag.Certificate)!, Tag.CertificateValue)!.value as Uint8Array);
    const eeUid = (await certificateLinkOf(key))!;
    expect((await certOf(eeUid)).equals(eeDer)).toBe(true);
    const caUid = (await certificateLinkOf(eeUid))!;
    expect((await certOf(caUid)).equals(caDer)).toBe(true);
    expect(await certificateLinkOf(caUid)).toBeUndefined();
    // And Get as PKCS#12 writes the file again from them.
    const r = expectSuccess(await getPkcs12(key));
    const kv = child(child(child(r.payload!, Tag.PrivateKey)!, Tag.KeyBlock)!, Tag.KeyValue)!;
    const out = openssl((v[0] >= 2 ? child(kv, Tag.KeyMaterial)! : kv).value as Uint8Array, 's3cret pass');
    expect(out).toContain('friendlyName: from file');
    expect(out).toContain('subject=CN = PKCS12 EE');
    expect(out).toContain('subject=CN = PKCS12 CA');
  });

  it('refuses a PKCS#12 file that its linked password does not open, and registers nothing', async () => {
    const pw = uidOf(await password(true));
    const pfx = await buildPkcs12({ key: ee.privateKey, certificates: [eeDer], password: Buffer.from('another pass') });
    const count = async () => (expectSuccess(await kmipd.one(v, Operation.Locate, [])).payload!.value as TtlvNode[]).length;
    const before = await count();
    expectFailure(await register(ObjectType.PrivateKey, pkcs12Key(pfx), [link(LinkType.PKCS_12PasswordLink, pw)]), ResultReason.InvalidField);
    expectFailure(await register(ObjectType.PrivateKey, pkcs12Key(Buffer.from('3003020101', 'hex')), [link(LinkType.PKCS_12PasswordLink, pw)]), ResultReason.InvalidField);
    expect(await count()).toBe(before);
  });

  it('refuses without an Active password, and for objects that are not private keys', async () => {
    const noLink = uidOf(await privateKey([]));
    expectFailure(await getPkcs12(noLink), ResultReason.MissingData);
    const inactive = uidOf(await password(false));
    const key = uidOf(await privateKey([link(LinkType.PKCS_12PasswordLink, inactive)]));
    const notActive = v[0] >= 2 ? ResultReason.WrongKeyLifecycleState : ResultReason.PermissionDenied;
    expectFailure(await getPkcs12(key), notActive);
    const cert = uidOf(await certificate(eeDer));
    expectFailure(await getPkcs12(cert), ResultReason.KeyFormatTypeNotSupported);
    // Register of a key in PKCS#12 format: its password must be Active too (OASIS TC-PKCS12-2).
    const p12Key = struct(Tag.PrivateKey, [struct(Tag.KeyBlock, [enm(Tag.KeyFormatType, KeyFormatType.PKCS_12), struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, Buffer.from('30030201', 'hex'))])])]);
    expectFailure(await register(ObjectType.PrivateKey, p12Key, [link(LinkType.PKCS_12PasswordLink, inactive)]), notActive);
  });
});
