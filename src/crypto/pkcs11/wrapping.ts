/**
 * Wrapping keys under the master key and unwrapping them again (CONVENTIONS.md §4): what leaves
 * the HSM is only ever a blob wrapped with AES key wrap (RFC 5649, or RFC 3394 where the module
 * has nothing better), recorded in the KeyRef with the master key's label.
 */
import pkcs11js from 'pkcs11js';
import type { Handle, PKCS11, Template } from 'pkcs11js';

import type { WrappedDerivedKey } from '../asymmetric.js';

import { CryptoError, type KeyRef, type SymmetricAlgorithm } from '../provider.js';
import { specOf, WRAP_MECHANISMS } from './algorithms.js';
import { p11, p11Async } from './ckr.js';
import { destroyQuietly, findMasterKey, readValue } from './objects.js';
import type { ExportWorker } from './export-worker.js';
import { checkBlob, fitValue, unwrapTemplate } from './unwrap.js';

type WrappedRef = KeyRef & { kind: 'wrapped' };

/** The master keys of one provider and the wrap/unwrap calls made with them. */
export class MasterKeyWrapper {
  private readonly masters = new Map<string, Handle>();

  /**
   * @param mechanism name of the mechanism new keys are wrapped with (a key of WRAP_MECHANISMS)
   * @param unwrapKeepsPadding the module leaves RFC 5649 padding on unwrapped values (SoftHSM2 2.6)
   * @param offload runs the HSM part of exportValue() as one job on a worker thread (export-worker.ts)
   */
  constructor(
    private readonly mod: PKCS11,
    readonly label: string,
    masterKey: Handle,
    readonly mechanism: string,
    private readonly unwrapKeepsPadding: boolean,
    private readonly offload?: ExportWorker,
  ) {
    this.masters.set(label, masterKey);
  }

  /** RFC 3394 (no padding) only wraps multiples of 8 bytes; say so before the HSM does. */
  checkWrappable(bytes: number): void {
    if (this.mechanism === 'CKM_AES_KEY_WRAP' && bytes % 8 !== 0) {
      throw new CryptoError('UNSUPPORTED', 'this HSM cannot wrap keys whose length is not a multiple of 64 bits');
    }
  }

  /** Validates a ref before any HSM call; returns its unwrap mechanism. */
  check(ref: WrappedRef): number {
    const mech = WRAP_MECHANISMS[ref.mechanism];
    if (mech === undefined) throw new CryptoError('UNSUPPORTED', `unknown wrapping mechanism ${ref.mechanism}`);
    checkBlob(ref);
    return mech;
  }

  /** C_WrapKey of an extractable object under the current master key. */
  async wrap(session: Handle, key: Handle, valueLength: number): Promise<KeyRef> {
    const master = this.masterFor(session, this.label);
    const mech = WRAP_MECHANISMS[this.mechanism] as number;
    // RFC 5649 output: the value padded to a multiple of 8, plus the 8-byte integrity block.
    const out = Buffer.alloc(valueLength + 16);
    const blob = await p11Async('wrap', () => this.mod.C_WrapKeyAsync(session, { mechanism: mech }, master, key, out));
    return { kind: 'wrapped', mechanism: this.mechanism, masterKeyLabel: this.label, blob: new Uint8Array(blob), valueLength };
  }

  /**
   * Stores a key derived inside the HSM without its value entering this process: the SHA-256 of
   * the transient object `key` taken in the HSM (C_DigestKey, for the Digest attribute), then
   * the object wrapped under the current master key (`wrap`). The caller destroys `key`; it
   * must be extractable (and may be sensitive).
   */
  async wrapDerived(session: Handle, key: Handle, length: number): Promise<WrappedDerivedKey> {
    p11('crypto', () => this.mod.C_DigestInit(session, { mechanism: pkcs11js.CKM_SHA256 }));
    p11('crypto', () => this.mod.C_DigestKey(session, key));
    const sha256 = Uint8Array.from(p11('crypto', () => this.mod.C_DigestFinal(session, Buffer.alloc(32))));
    const ref = await this.wrap(session, key, length);
    return { ref, length, sha256 };
  }

  /** Unwraps into a transient extractable object, reads the exact key value, destroys the object. */
  async exportValue(session: Handle, ref: WrappedRef, algorithm: SymmetricAlgorithm): Promise<Uint8Array> {
    if (this.offload !== undefined) {
      const mech = this.check(ref);
      const master = this.masterFor(session, ref.masterKeyLabel);
      const value = await this.offload.export(session, master, mech, ref.blob, unwrapTemplate(specOf(algorithm), 'export'));
      let exact: Buffer | undefined;
      try {
        exact = fitValue(value, ref, algorithm);
        return Uint8Array.from(exact);
      } finally {
        value.fill(0);
        exact?.fill(0);
      }
    }
    const key = await this.unwrap(session, ref, algorithm, 'export');
    let value: Buffer | undefined;
    let exact: Buffer | undefined;
    try {
      value = readValue(this.mod, session, key);
      exact = fitValue(value, ref, algorithm);
      // A fresh array: Buffer.from() may slice Node's shared pool, which must not leak out.
      return Uint8Array.from(exact);
    } finally {
      value?.fill(0);
      exact?.fill(0);
      destroyQuietly(this.mod, session, key);
    }
  }

  /**
   * C_UnwrapKey into a sensitive, non-extractable session object for crypto use. On a module
   * that keeps RFC 5649 padding, a key whose length is not a multiple of 8 bytes would come out
   * longer than it is (harmless for HMAC keys up to the hash block size, wrong beyond it), so
   * such keys are exported, cut to size and re-created as a sensitive object; their bytes pass
   * through process memory briefly and are zeroed at once.
   */
  async unwrapForUse(session: Handle, ref: WrappedRef, algorithm: SymmetricAlgorithm): Promise<Handle> {
    if (!(this.unwrapKeepsPadding && ref.valueLength !== undefined && ref.valueLength % 8 !== 0)) {
      return this.unwrap(session, ref, algorithm, 'use');
    }
    const bytes = await this.exportValue(session, ref, algorithm);
    const exact = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length); // a view, zeroed below
    try {
      const template = [...unwrapTemplate(specOf(algorithm), 'use'), { type: pkcs11js.CKA_VALUE, value: exact }];
      return p11('create', () => this.mod.C_CreateObject(session, template));
    } finally {
      exact.fill(0);
    }
  }

  /**
   * Re-wraps a key under the current master key (master key rotation): the old master key must
   * still be in the token. Stays inside the HSM (unwrap to a transient object, wrap, destroy)
   * unless the exact length is unknown or the module would carry padding into the new blob; then
   * the value is fitted in process memory first and zeroed at once.
   */
  async rewrap(session: Handle, ref: WrappedRef, algorithm: SymmetricAlgorithm): Promise<KeyRef> {
    if (ref.masterKeyLabel === this.label && ref.mechanism === this.mechanism) return ref;
    const exactInHsm = ref.valueLength !== undefined && (!this.unwrapKeepsPadding || ref.valueLength % 8 === 0);
    if (exactInHsm) {
      const key = await this.unwrap(session, ref, algorithm, 'export');
      try {
        return await this.wrap(session, key, ref.valueLength as number);
      } finally {
        destroyQuietly(this.mod, session, key);
      }
    }
    const bytes = await this.exportValue(session, ref, algorithm);
    const value = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length); // a view, zeroed below
    let key: Handle | undefined;
    try {
      const template = [...unwrapTemplate(specOf(algorithm), 'export'), { type: pkcs11js.CKA_VALUE, value }];
      key = p11('create', () => this.mod.C_CreateObject(session, template));
      return await this.wrap(session, key, value.length);
    } finally {
      value.fill(0);
      if (key) destroyQuietly(this.mod, session, key);
    }
  }

  /**
   * C_UnwrapKey into a sensitive, non-extractable session object that may only derive
   * (CKA_DERIVE true, no encrypt/decrypt/sign), for a key derivation inside the HSM. Not cached:
   * the caller destroys it. Only for keys whose length is a multiple of 8 bytes (AES, 3DES), which
   * no module pads on unwrap.
   */
  unwrapForDerive(session: Handle, ref: WrappedRef, algorithm: SymmetricAlgorithm): Promise<Handle> {
    return this.unwrap(session, ref, algorithm, 'use', [{ type: pkcs11js.CKA_DERIVE, value: true }], false);
  }

  private unwrap(
    session: Handle,
    ref: WrappedRef,
    algorithm: SymmetricAlgorithm,
    purpose: 'export' | 'use',
    extra: Template = [],
    usage = true,
  ): Promise<Handle> {
    const mech = this.check(ref);
    const master = this.masterFor(session, ref.masterKeyLabel);
    const base = unwrapTemplate(specOf(algorithm), purpose, usage);
    const template = [...base, ...extra];
    return p11Async('unwrap', () => this.mod.C_UnwrapKeyAsync(session, { mechanism: mech }, master, Buffer.from(ref.blob), template));
  }

  /**
   * The handle of the master key with this label (the current one by default), for callers that
   * wrap or unwrap objects of other classes with their own templates (asymmetric keys).
   */
  masterKey(session: Handle, label: string = this.label): Handle {
    return this.masterFor(session, label);
  }

  /** The master key with this label: ours, or an older one still in the token (rotation). */
  private masterFor(session: Handle, label: string): Handle {
    const known = this.masters.get(label);
    if (known) return known;
    const found = findMasterKey(this.mod, session, label);
    if (!found) throw new CryptoError('BAD_KEY', `master key "${label}" is not in the token`);
    this.masters.set(label, found);
    return found;
  }
}
