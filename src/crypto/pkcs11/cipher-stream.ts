/**
 * Multi-part Encrypt and Decrypt kept running inside the module between KMIP requests (KMIP 1.3+
 * streaming: Init Indicator, Correlation Value, Final Indicator; 2.1 §6.1.18, §6.1.12).
 *
 * Why the module's own cipher state, held in a session, rather than chaining parts ourselves:
 * a client expects each part's output in that part's response (OASIS TC-STREAM-ENC-*,
 * TC-STREAM-ENCDEC-1, CS-BC-M-GCM-3). For ECB, CBC and CTR, carrying the last ciphertext block or
 * the counter forward would be equivalent, but GCM's tag needs GHASH over all the ciphertext under
 * H = E_K(0), which must not leave the HSM; so one mechanism that is exact for every mode is used:
 * C_EncryptInit / C_EncryptUpdate / C_EncryptFinal (and the Decrypt family) in a session of its own.
 *
 * Bounds: each stream has its own session, opened outside the session pool (so streams never take
 * the sessions single-shot requests need) and closed when the stream ends, fails or is abandoned;
 * closing it ends the module's operation and destroys the key object unwrapped into it. At most
 * MAX_CIPHER_STREAMS are open per provider; the operation layer adds per-principal limits and an
 * idle timeout. GCM decryption releases no plaintext before the tag is checked (SP 800-38D §7.2),
 * so the module buffers that ciphertext: it is capped at MAX_CIPHER_INPUT_BYTES. C_EncryptUpdate
 * and C_DecryptUpdate have no *Async form in pkcs11js, so each part (at most
 * MAX_CIPHER_INPUT_BYTES) is processed on the event loop.
 */
import type { Handle, PKCS11 } from 'pkcs11js';

import { type CipherParams, CipherParamError, type CipherStream, type EncryptResult, MAX_CIPHER_INPUT_BYTES } from '../cipher.js';
import { CryptoError, type KeyRef, type SymmetricAlgorithm } from '../provider.js';
import { type ResolvedCipher, resolveCipher, stripPadding } from './cipher-params.js';
import { cipherMechanism } from './cipher.js';
import { p11, p11Async } from './ckr.js';
import { findObjects, residentSearch } from './objects.js';
import type { SessionPool } from './session-pool.js';
import type { MasterKeyWrapper } from './wrapping.js';

/** Most multi-part ciphers open at once per provider: each holds one PKCS#11 session. */
export const MAX_CIPHER_STREAMS = 64;

/** Output room beyond the input: a block of buffered input plus a padding block, or a GCM tag. */
const SLACK = 32;

/** The streams of one provider. */
export class Pkcs11CipherStreams {
  private readonly live = new Set<Pkcs11CipherStream>();

  constructor(
    private readonly mod: () => PKCS11,
    private readonly pool: SessionPool,
    private readonly wrapper: MasterKeyWrapper,
    private readonly max: number = MAX_CIPHER_STREAMS,
  ) {}

  /** Number of open streams (tests: nothing leaks). */
  get size(): number {
    return this.live.size;
  }

  /** Number of sessions open outside the pool, i.e. held by streams (tests: nothing leaks). */
  get sessions(): number {
    return this.pool.dedicatedCount;
  }

  async open(ref: KeyRef, algorithm: SymmetricAlgorithm, params: CipherParams, direction: 'encrypt' | 'decrypt'): Promise<CipherStream> {
    // Checked as a whole-message request would be; a decryption's GCM tag comes with the last part.
    const tagStandIn = direction === 'decrypt' && params.mode === 'GCM' ? new Uint8Array(params.tagLength ?? 16) : undefined;
    const c = resolveCipher(algorithm, params, new Uint8Array(0), direction, tagStandIn);
    if (this.live.size >= this.max) throw new CryptoError('HSM_UNAVAILABLE', `at most ${this.max} multi-part cipher operations may be open at once`);
    if (ref.kind === 'wrapped') this.wrapper.check(ref);
    const mod = this.mod();
    const session = this.pool.openDedicated();
    try {
      let key: Handle | undefined;
      if (ref.kind === 'resident') key = findObjects(mod, session, residentSearch(ref.id))[0];
      else key = await this.wrapper.unwrapForUse(session, ref, algorithm); // a session object: gone when the session closes
      if (key === undefined) throw new CryptoError('BAD_KEY', 'resident key not found in the token');
      const k = key;
      if (direction === 'encrypt') p11('crypto', () => mod.C_EncryptInit(session, cipherMechanism(c), k));
      else p11('crypto', () => mod.C_DecryptInit(session, cipherMechanism(c), k));
    } catch (err) {
      this.pool.closeDedicated(session);
      throw err;
    }
    const s = new Pkcs11CipherStream(mod, session, c, direction, () => {
      this.live.delete(s);
      this.pool.closeDedicated(session);
    });
    this.live.add(s);
    return s;
  }

  /** Abandons every open stream (provider close). */
  abortAll(): void {
    for (const s of [...this.live]) s.abort();
  }
}

class Pkcs11CipherStream implements CipherStream {
  readonly iv: Uint8Array | undefined;
  /** Input bytes fed so far. */
  private total = 0;
  /** ECB with PKCS#5 padding, decrypting: the last plaintext block, held until the final part shows whether it carries the padding. */
  private held: Buffer = Buffer.alloc(0);
  private done = false;

  constructor(
    private readonly mod: PKCS11,
    private readonly session: Handle,
    private readonly c: ResolvedCipher,
    private readonly direction: 'encrypt' | 'decrypt',
    private readonly release: () => void,
  ) {
    this.iv = c.iv !== undefined ? Uint8Array.from(c.iv) : undefined;
  }

  /** ECB padding is ours (there is no CKM_*_ECB_PAD); CBC-PAD is the module's. */
  private get ecbPad(): boolean {
    return this.c.mode === 'ECB' && this.c.pad;
  }

  async update(data: Uint8Array): Promise<Uint8Array> {
    return this.guard(() => Uint8Array.from(this.releasable(this.feed(data))));
  }

  async final(data: Uint8Array, tag?: Uint8Array): Promise<EncryptResult> {
    return this.guard(async () => {
      const { c } = this;
      if (this.direction === 'encrypt') {
        let input = Buffer.from(data);
        if (this.ecbPad) {
          const n = c.blockSize - ((this.total + input.length) % c.blockSize);
          input = Buffer.concat([input, Buffer.alloc(n, n)]);
        }
        this.checkWhole(this.total + input.length, c.mode === 'CBC' && c.pad);
        const head = this.feed(input);
        const tail = await p11Async('crypto', () => this.mod.C_EncryptFinalAsync(this.session, Buffer.alloc(SLACK)));
        const out = Buffer.concat([head, tail]);
        this.finish();
        if (c.mode !== 'GCM') return { data: Uint8Array.from(out) };
        const cut = out.length - c.tagLength;
        return { data: Uint8Array.from(out.subarray(0, cut)), tag: Uint8Array.from(out.subarray(cut)) };
      }
      let input = Buffer.from(data);
      if (c.mode === 'GCM') {
        if (tag === undefined) throw new CipherParamError('missing-tag', 'GCM decryption needs the authentication tag with the final part');
        if (tag.length !== c.tagLength) throw new CipherParamError('tag-length', 'GCM tag length does not match the tag');
        input = Buffer.concat([input, tag]); // the module takes the tag as the last bytes of the ciphertext
      }
      this.checkWhole(this.total + data.length, false);
      const head = this.feed(input);
      const tail = await p11Async('decrypt', () => this.mod.C_DecryptFinalAsync(this.session, Buffer.alloc(this.c.mode === 'GCM' ? this.total + SLACK : SLACK)));
      let out: Buffer = Buffer.concat([this.held, head, tail]);
      this.held = Buffer.alloc(0);
      if (this.ecbPad) {
        const plain = stripPadding(out, c.blockSize);
        const copy = plain === undefined ? undefined : Buffer.from(plain);
        out.fill(0);
        if (copy === undefined) throw new CryptoError('BAD_KEY', 'decryption failed: bad padding');
        out = copy;
      }
      this.finish();
      return { data: Uint8Array.from(out) };
    });
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    this.held.fill(0);
    this.release();
  }

  /** Runs a step; any failure ends the stream (the module's operation state is then unknown). */
  private async guard<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.done) throw new CryptoError('HSM_UNAVAILABLE', 'the multi-part operation has ended');
    try {
      return await fn();
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  private finish(): void {
    this.abort();
  }

  /** ECB and CBC without padding, and every ECB/CBC decryption, need whole blocks in all. */
  private checkWhole(total: number, padded: boolean): void {
    const { c } = this;
    if ((c.mode === 'ECB' || c.mode === 'CBC') && !padded && total % c.blockSize !== 0) {
      throw new CipherParamError('data-length', `data must be a multiple of ${c.blockSize} bytes in all for ${c.algorithm}-${c.mode}${this.direction === 'encrypt' ? ' without padding' : ''}`);
    }
  }

  /** C_EncryptUpdate / C_DecryptUpdate of one part. */
  private feed(data: Uint8Array): Buffer {
    if (data.length > MAX_CIPHER_INPUT_BYTES) throw new CipherParamError('data-length', `a part may carry at most ${MAX_CIPHER_INPUT_BYTES} bytes`);
    // The module buffers GCM ciphertext until the tag is checked: bound what it keeps.
    if (this.direction === 'decrypt' && this.c.mode === 'GCM' && this.total + data.length > MAX_CIPHER_INPUT_BYTES + 16) {
      throw new CipherParamError('data-length', `a multi-part GCM decryption may carry at most ${MAX_CIPHER_INPUT_BYTES} bytes in all`);
    }
    this.total += data.length;
    if (data.length === 0) return Buffer.alloc(0); // pkcs11js would pass a NULL pointer
    const input = Buffer.from(data);
    // SoftHSM2 sizes a GCM decryption's output by all it has buffered, though it releases none.
    const room = Buffer.alloc((this.direction === 'decrypt' && this.c.mode === 'GCM' ? this.total : input.length) + SLACK);
    return this.direction === 'encrypt'
      ? p11('crypto', () => this.mod.C_EncryptUpdate(this.session, input, room))
      : p11('decrypt', () => this.mod.C_DecryptUpdate(this.session, input, room));
  }

  /** What a decryption part may release: all of it, except ECB-with-padding's last block. */
  private releasable(out: Buffer): Buffer {
    if (!(this.direction === 'decrypt' && this.ecbPad)) return out;
    const all = Buffer.concat([this.held, out]);
    const keep = all.length >= this.c.blockSize ? this.c.blockSize : all.length;
    this.held = Buffer.from(all.subarray(all.length - keep));
    return all.subarray(0, all.length - keep);
  }
}
