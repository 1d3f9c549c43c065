import { execFileSync } from 'node:child_process';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCertificate } from '../src/server/pki/x509-builder.js';
import { der, readDer, seq } from '../src/kmip/key-math.js';
import { buildPkcs12 } from '../src/kmip/pkcs12.js';
import { MAX_ITERATIONS, MAX_TOTAL_WORK, Pkcs12Error, readPkcs12 } from '../src/kmip/pkcs12-read.js';

const work = mkdtempSync(join(tmpdir(), 'kmipd-p12-read-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const day = 86_400_000;
const ca = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ee = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const caPem = buildCertificate({ subject: { commonName: 'Read CA' }, notBefore: new Date(Date.now() - day), notAfter: new Date(Date.now() + day), isCa: true }, ca.publicKey, { name: { commonName: 'Read CA' }, ...ca });
const eePem = buildCertificate({ subject: { commonName: 'Read EE' }, notBefore: new Date(Date.now() - day), notAfter: new Date(Date.now() + day), isCa: false }, ee.publicKey, { name: { commonName: 'Read CA' }, ...ca });
const caDer = new X509Certificate(caPem).raw;
const eeDer = new X509Certificate(eePem).raw;
const pkcs8 = (k: { export(o: { type: 'pkcs8'; format: 'der' }): Buffer }): Buffer => k.export({ type: 'pkcs8', format: 'der' });
const pass = Buffer.from('pässword');

/** `openssl pkcs12 -export` of the EE key and both certificates, with the given extra options. */
function opensslPkcs12(extra: string[]): Buffer {
  const dir = mkdtempSync(join(work, 'o-'));
  writeFileSync(join(dir, 'key.pem'), ee.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'ee.pem'), eePem);
  writeFileSync(join(dir, 'ca.pem'), caPem);
  const out = join(dir, 'f.p12');
  execFileSync('openssl', ['pkcs12', '-export', '-inkey', join(dir, 'key.pem'), '-in', join(dir, 'ee.pem'), '-certfile', join(dir, 'ca.pem'), '-name', 'my key', '-passout', `pass:${pass.toString('utf8')}`, '-out', out, ...extra], { stdio: 'ignore' });
  return readFileSync(out);
}

/** The PFX with its MAC's iteration count replaced (the MAC itself is left as it was). */
function withMacIterations(pfx: Buffer, iterations: number): Buffer {
  const top = readDer(pfx, 0);
  const version = readDer(pfx, top.start);
  const authSafe = readDer(pfx, version.end);
  const mac = readDer(pfx, authSafe.end);
  const digestInfo = readDer(pfx, mac.start);
  const salt = readDer(pfx, digestInfo.end);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(iterations);
  return seq(pfx.subarray(top.start, authSafe.end), seq(pfx.subarray(mac.start, salt.end), der(0x02, count)));
}

describe('readPkcs12', () => {
  it("reads kmipd's own PKCS#12 (PBES2 AES-256-CBC, HMAC-SHA-256 MAC), the key's certificate first", async () => {
    const pfx = await buildPkcs12({ key: ee.privateKey, certificates: [caDer, eeDer], password: pass, friendlyName: 'k' });
    const r = await readPkcs12(pfx, pass);
    expect(pkcs8(r.key).equals(pkcs8(ee.privateKey))).toBe(true);
    expect(r.certificates.map((c) => c.der.equals(eeDer))).toEqual([true, false]);
    expect(r.certificates[1]!.der.equals(caDer)).toBe(true);
    expect(r.keyFriendlyName).toBe('k');
  });

  it('reads what OpenSSL writes: its default (PBES2) and the 3DES / SHA-1 form older tools write', async () => {
    for (const extra of [[], ['-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1']]) {
      const r = await readPkcs12(opensslPkcs12(extra), pass);
      expect(pkcs8(r.key).equals(pkcs8(ee.privateKey))).toBe(true);
      expect(r.certificates.map((c) => c.der)).toEqual([eeDer, caDer]);
      expect(r.certificates[0]!.friendlyName).toBe('my key');
      expect(r.keyFriendlyName).toBe('my key');
    }
  });

  it('refuses a wrong password at the MAC, before decrypting anything', async () => {
    const pfx = await buildPkcs12({ key: ee.privateKey, certificates: [eeDer], password: pass });
    await expect(readPkcs12(pfx, Buffer.from('other'))).rejects.toThrow(/MAC does not verify/);
  });

  it('refuses an iteration count above the limit without running the derivation', async () => {
    const pfx = withMacIterations(await buildPkcs12({ key: ee.privateKey, certificates: [eeDer], password: pass }), 2 ** 31 - 1);
    // Were the derivation run first, 2^31 iterations would take minutes and the test would time out.
    let err: unknown;
    try {
      await readPkcs12(pfx, pass);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Pkcs12Error);
    expect((err as Pkcs12Error).unsupported).toBe(true);
    expect((err as Error).message).toContain(`limit of ${MAX_ITERATIONS}`);
  });

  it('refuses a file whose derivations add up to more than the total work allowed, before running the one past it', async () => {
    // OpenSSL's default file: MAC, certificates and key, each at 2048 iterations and one block.
    const pfx = opensslPkcs12([]);
    await expect(readPkcs12(pfx, pass, 3 * 2048)).resolves.toBeDefined();
    await expect(readPkcs12(pfx, pass, 3 * 2048 - 1)).rejects.toThrow(/more key-derivation work than the limit/);
    await expect(readPkcs12(pfx, pass, 2048)).rejects.toThrow(/^EncryptedData: /);
    expect(MAX_TOTAL_WORK).toBeGreaterThanOrEqual(7 * MAX_ITERATIONS); // 3DES parts at the limit still open
  });

  it('leaves the event loop free while it derives keys (100,000 iterations, Triple DES parts)', async () => {
    const pfx = opensslPkcs12(['-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1', '-iter', '100000']);
    let turns = 0;
    const timer = setInterval(() => turns++, 5);
    try {
      const r = await readPkcs12(pfx, pass);
      expect(pkcs8(r.key).equals(pkcs8(ee.privateKey))).toBe(true);
    } finally {
      clearInterval(timer);
    }
    // 700,000 SHA-1 iterations take seconds; run in one go, the timer would not have fired at all.
    expect(turns).toBeGreaterThan(20);
  }, 60_000);

  it('answers damaged files with Pkcs12Error only: truncations and byte flips of a valid file', async () => {
    const pfx = await buildPkcs12({ key: ee.privateKey, certificates: [caDer, eeDer], password: pass });
    for (let n = 0; n < pfx.length; n += 37) await expect(readPkcs12(pfx.subarray(0, n), pass)).rejects.toThrow(Pkcs12Error);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: pfx.length - 1 }), fc.integer({ min: 1, max: 255 }), async (at, x) => {
        const bad = Buffer.from(pfx);
        bad[at]! ^= x;
        try {
          await readPkcs12(bad, pass);
        } catch (e) {
          expect(e).toBeInstanceOf(Pkcs12Error);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses trailing bytes and a file without a MAC', async () => {
    const pfx = await buildPkcs12({ key: ee.privateKey, certificates: [eeDer], password: pass });
    await expect(readPkcs12(Buffer.concat([pfx, Buffer.from([0])]), pass)).rejects.toThrow(/trailing bytes/);
    const top = readDer(pfx, 0);
    const version = readDer(pfx, top.start);
    const authSafe = readDer(pfx, version.end);
    await expect(readPkcs12(seq(pfx.subarray(top.start, authSafe.end)), pass)).rejects.toThrow(/no MAC/);
  });
});
