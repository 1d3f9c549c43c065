/**
 * One-time pads live (src/operations/crypto/one-time-pad.ts): mutual TLS, SoftHSM2, LevelDB, at
 * KMIP 1.4 and 2.1. The OASIS TC-OTP-1/-2 known answer (pad fc932e1428bd, data 010203040506,
 * ciphertext fd912d102dbb), a random pad checked against an XOR computed here, Get / Export
 * refused, the errors (data longer than the pad, foreign parameters, no value, usage mask, Usage
 * Limits), and the pad absent from the LevelDB files in every encoding the store could use.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BlockCipherMode,
  CryptographicAlgorithm,
  CryptographicUsageMask,
  KeyFormatType,
  ObjectType,
  Operation,
  ResultReason,
  SecretDataType,
  Tag,
  UsageLimitsUnit,
} from '../src/kmip/generated/index.js';
import { bytes, child, dateTime, enm, int, long, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, payloadText } from './helpers/kmip-request.js';
import { expectFailure, expectSuccess, requestAttributes, useLiveKmipd } from './helpers/live.js';

const live = useLiveKmipd('otp');

const one = live.one;
const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const dataOf = (r: ItemResult): string => {
  const n = r.payload && child(r.payload, Tag.Data);
  return n?.type === 'ByteString' ? Buffer.from(n.value).toString('hex') : '';
};
const xor = (a: Uint8Array, b: Uint8Array): string => Buffer.from(a.map((x, i) => x ^ b[i]!)).toString('hex');

/** Registers a pad as Secret Data (as TC-OTP-SETUP-1 does); `pad` undefined: no Key Value. */
async function registerPad(v: [number, number], pad: Uint8Array | undefined, extra: TtlvNode[] = [], mask = CryptographicUsageMask.Encrypt | CryptographicUsageMask.Decrypt): Promise<string> {
  const now = BigInt(Math.floor(Date.now() / 1000));
  const r = expectSuccess(
    await one(v, Operation.Register, [
      enm(Tag.ObjectType, ObjectType.SecretData),
      requestAttributes(v, [
        int(Tag.CryptographicUsageMask, mask),
        enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.OneTimePad),
        ...(pad ? [int(Tag.CryptographicLength, pad.length * 8)] : []),
        dateTime(Tag.ActivationDate, now - 60n),
        ...extra,
      ]),
      struct(Tag.SecretData, [
        enm(Tag.SecretDataType, SecretDataType.Password),
        struct(Tag.KeyBlock, [enm(Tag.KeyFormatType, KeyFormatType.Opaque), ...(pad ? [struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, pad)])] : [])]),
      ]),
    ]),
  );
  return payloadText(r, Tag.UniqueIdentifier)!;
}

const encrypt = (v: [number, number], uid: string, data: Uint8Array, extra: TtlvNode[] = []) =>
  one(v, Operation.Encrypt, [text(Tag.UniqueIdentifier, uid), ...extra, bytes(Tag.Data, data)]);
const decrypt = (v: [number, number], uid: string, data: Uint8Array, extra: TtlvNode[] = []) =>
  one(v, Operation.Decrypt, [text(Tag.UniqueIdentifier, uid), ...extra, bytes(Tag.Data, data)]);

const stored: Uint8Array[] = [];

describe.each([
  ['1.4', [1, 4] as [number, number]],
  ['2.1', [2, 1] as [number, number]],
])('one-time pad at KMIP %s', (_label, v) => {
  const badParams = v[0] >= 2 ? ResultReason.BadCryptographicParameters : ResultReason.InvalidField;

  it('Encrypt and Decrypt XOR with the pad (OASIS TC-OTP-1/-2 known answer)', async () => {
    const uid = await registerPad(v, hex('fc932e1428bd'));
    expect(dataOf(expectSuccess(await encrypt(v, uid, hex('010203040506'))))).toBe('fd912d102dbb');
    expect(dataOf(expectSuccess(await decrypt(v, uid, hex('fd912d102dbb'))))).toBe('010203040506');
  });

  it('a random pad: whole and shorter data use its leading bytes; longer data is refused', async () => {
    const pad = randomBytes(64);
    stored.push(pad);
    const uid = await registerPad(v, pad);
    const msg = randomBytes(64);
    const c = dataOf(expectSuccess(await encrypt(v, uid, msg)));
    expect(c).toBe(xor(msg, pad));
    expect(dataOf(expectSuccess(await decrypt(v, uid, hex(c))))).toBe(msg.toString('hex'));
    expect(dataOf(expectSuccess(await encrypt(v, uid, msg.subarray(0, 5))))).toBe(xor(msg.subarray(0, 5), pad));
    expectFailure(await encrypt(v, uid, randomBytes(65)), ResultReason.InvalidField);
    expectFailure(await decrypt(v, uid, randomBytes(65)), ResultReason.InvalidField);
  });

  it('Get and Export of a pad are refused (OASIS TC-OTP-4)', async () => {
    const uid = await registerPad(v, randomBytes(16));
    expectFailure(await one(v, Operation.Get, [text(Tag.UniqueIdentifier, uid)]), ResultReason.PermissionDenied);
    expectFailure(await one(v, Operation.Export, [text(Tag.UniqueIdentifier, uid)]), ResultReason.PermissionDenied);
  });

  it('parameters that are not the pad\'s, and an IV, are refused', async () => {
    const uid = await registerPad(v, randomBytes(16));
    const aes = struct(Tag.CryptographicParameters, [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES), enm(Tag.BlockCipherMode, BlockCipherMode.CBC)]);
    expectFailure(await encrypt(v, uid, randomBytes(16), [aes]), badParams);
    expectFailure(await encrypt(v, uid, randomBytes(16), [bytes(Tag.IVCounterNonce, randomBytes(16))]), badParams);
    const own = struct(Tag.CryptographicParameters, [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.OneTimePad)]);
    expectSuccess(await encrypt(v, uid, randomBytes(16), [own]));
  });

  it('a pad registered without its Key Value cannot encrypt', async () => {
    const uid = await registerPad(v, undefined);
    expectFailure(await encrypt(v, uid, hex('0102')), ResultReason.KeyValueNotPresent);
  });

  it('the usage mask and Usage Limits apply', async () => {
    const decryptOnly = await registerPad(v, randomBytes(8), [], CryptographicUsageMask.Decrypt);
    expectFailure(await encrypt(v, decryptOnly, randomBytes(8)), v[0] >= 2 ? ResultReason.IncompatibleCryptographicUsageMask : ResultReason.PermissionDenied);
    expectSuccess(await decrypt(v, decryptOnly, randomBytes(8)));
    // Single use on request: Usage Limits of one object-use.
    const once = await registerPad(v, randomBytes(8), [struct(Tag.UsageLimits, [long(Tag.UsageLimitsTotal, 1n), enm(Tag.UsageLimitsUnit, UsageLimitsUnit.Object)])]);
    expectSuccess(await encrypt(v, once, randomBytes(8)));
    expectFailure(await encrypt(v, once, randomBytes(8)), ResultReason.PermissionDenied);
  });
});

/** Every file under `dir`, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('one-time pad storage', () => {
  it('the store never holds a pad in the clear (raw, hex or base64)', () => {
    expect(stored.length).toBeGreaterThan(0);
    const all = Buffer.concat(files(live.dataDir).map((f) => readFileSync(f)));
    for (const pad of stored) {
      const b = Buffer.from(pad);
      expect(all.includes(b)).toBe(false);
      expect(all.includes(Buffer.from(b.toString('hex')))).toBe(false);
      expect(all.includes(Buffer.from(b.toString('base64')))).toBe(false);
    }
  });
});
