/**
 * Idle expiry of streamed Encrypt over mutual TLS (operations/crypto/cipher-streams.ts), with the
 * idle timeout set through the configuration (limits.streamIdleTimeoutMs, here by
 * KMIPD_STREAM_IDLE_TIMEOUT_MS = 3 s): a stream continued in time goes on; one left idle is gone
 * (2.1 Invalid Correlation Value, 1.4 Invalid Field), and no longer counts against the
 * per-client stream limit.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { cipherStreamLimits } from '../src/operations/crypto/cipher-streams.js';
import { BlockCipherMode, CryptographicAlgorithm, KeyFormatType, ObjectType, Operation, PaddingMethod, ResultReason, Tag } from '../src/kmip/generated/index.js';
import { bool, bytes, child, dateTime, enm, int, struct, text } from '../src/ttlv/build.js';
import { type ItemResult, payloadText } from './helpers/kmip-request.js';
import { expectFailure, expectSuccess, requestAttributes, useLiveKmipd } from './helpers/live.js';

// Long enough that opening 16 streams on a loaded machine stays within it; short enough for a test.
const IDLE_MS = 3000;
const live = useLiveKmipd('stream-idle', ['alice'], { KMIPD_STREAM_IDLE_TIMEOUT_MS: String(IDLE_MS) });

type V = [number, number];
const one = live.one;

async function registerAes(v: V): Promise<string> {
  const r = expectSuccess(
    await one(v, Operation.Register, [
      enm(Tag.ObjectType, ObjectType.SymmetricKey),
      requestAttributes(v, [int(Tag.CryptographicUsageMask, 0x0c), dateTime(Tag.ActivationDate, BigInt(Math.floor(Date.now() / 1000)) - 60n)]),
      struct(Tag.SymmetricKey, [
        struct(Tag.KeyBlock, [
          enm(Tag.KeyFormatType, KeyFormatType.Raw),
          struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, Buffer.alloc(16, 7))]),
          enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
          int(Tag.CryptographicLength, 128),
        ]),
      ]),
    ]),
  );
  return payloadText(r, Tag.UniqueIdentifier)!;
}

const cbc = struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.CBC), enm(Tag.PaddingMethod, PaddingMethod.None)]);

/** Opens an Encrypt stream; its Correlation Value. */
async function open(v: V, uid: string): Promise<Buffer> {
  const r = expectSuccess(await one(v, Operation.Encrypt, [text(Tag.UniqueIdentifier, uid), cbc, bytes(Tag.IVCounterNonce, Buffer.alloc(16)), bytes(Tag.Data, Buffer.alloc(8, 1)), bool(Tag.InitIndicator, true)]));
  const c = r.payload && child(r.payload, Tag.CorrelationValue);
  if (c?.type !== 'ByteString') throw new Error('no Correlation Value');
  return Buffer.from(c.value);
}

const part = (v: V, uid: string, corr: Buffer): Promise<ItemResult> =>
  one(v, Operation.Encrypt, [text(Tag.UniqueIdentifier, uid), bytes(Tag.Data, Buffer.alloc(8, 2)), bytes(Tag.CorrelationValue, corr)]);

describe('streamed Encrypt idle expiry over TLS', () => {
  it('the configured idle timeout reaches the stream table', () => {
    expect(cipherStreamLimits.idleMs).toBe(IDLE_MS);
  });

  it('a stream continued in time goes on; left idle it is gone and frees its slot', async () => {
    const v21: V = [2, 1];
    const v14: V = [1, 4];
    const uid21 = await registerAes(v21);
    const uid14 = await registerAes(v14);
    const live = await open(v21, uid21);
    expect(expectSuccess(await part(v21, uid21, live)).payload).toBeDefined();
    // Fill this client's quota (its streams in any version count), then let everything go idle.
    const idle14 = await open(v14, uid14);
    const idle: Buffer[] = [];
    for (let i = 2; i < cipherStreamLimits.perPrincipal; i++) idle.push(await open(v21, uid21));
    expectFailure(await one(v21, Operation.Encrypt, [text(Tag.UniqueIdentifier, uid21), cbc, bytes(Tag.IVCounterNonce, Buffer.alloc(16)), bool(Tag.InitIndicator, true)]), ResultReason.ServerLimitExceeded);
    await sleep(IDLE_MS * 2 + 500);
    expectFailure(await part(v21, uid21, live), ResultReason.InvalidCorrelationValue);
    expectFailure(await part(v21, uid21, idle[0]!), ResultReason.InvalidCorrelationValue);
    expectFailure(await part(v14, uid14, idle14), ResultReason.InvalidField);
    // The expired streams no longer count: the client can open its full quota again.
    const fresh: Buffer[] = [];
    for (let i = 0; i < cipherStreamLimits.perPrincipal; i++) fresh.push(await open(v21, uid21));
    expect(new Set(fresh.map((c) => c.toString('hex'))).size).toBe(cipherStreamLimits.perPrincipal);
  }, 60_000);
});
