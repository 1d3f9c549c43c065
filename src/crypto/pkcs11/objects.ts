/**
 * Token object helpers: the master wrapping key, finding objects, reading values.
 */
import pkcs11js from 'pkcs11js';
import type { Handle, PKCS11, Template } from 'pkcs11js';

import { CryptoError } from '../provider.js';
import { p11, p11Async } from './ckr.js';

/** All objects matching a template (C_FindObjectsInit/C_FindObjects/C_FindObjectsFinal). */
export function findObjects(mod: PKCS11, session: Handle, template: Template): Handle[] {
  return p11('find', () => {
    mod.C_FindObjectsInit(session, template);
    try {
      const found: Handle[] = [];
      for (;;) {
        const batch = mod.C_FindObjects(session, 16);
        if (batch.length === 0) return found;
        found.push(...batch);
      }
    } finally {
      mod.C_FindObjectsFinal(session);
    }
  });
}

/** Template of an AES token key by label. */
function masterSearch(label: string): Template {
  return [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_LABEL, value: label },
  ];
}

/** Finds the master key with this label; undefined if absent, HSM_ERROR if ambiguous or weak. */
export function findMasterKey(mod: PKCS11, session: Handle, label: string): Handle | undefined {
  const found = findObjects(mod, session, masterSearch(label));
  if (found.length > 1) throw new CryptoError('HSM_ERROR', `more than one master key labelled "${label}" in the token`);
  const key = found[0];
  if (!key) return undefined;
  // The model rests on the master key never leaving the HSM; refuse one that could.
  const [extractable, unwrap] = p11('read-attribute', () =>
    mod.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_EXTRACTABLE }, { type: pkcs11js.CKA_UNWRAP }]),
  );
  if (!isFalse(extractable?.value) || isFalse(unwrap?.value)) {
    throw new CryptoError('HSM_ERROR', `master key "${label}" must be non-extractable and allow unwrap`);
  }
  return key;
}

function isFalse(value: unknown): boolean {
  // pkcs11js returns CK_BBOOL attributes as 1-byte buffers.
  return Buffer.isBuffer(value) ? value.length > 0 && value[0] === 0 : value === false;
}

/**
 * Creates the master wrapping key: AES-256, a private, sensitive, non-extractable token object
 * that can wrap and unwrap but not encrypt or decrypt (so it cannot be used as an oracle on
 * arbitrary data; PKCS#11 v2.40 §4.7.2).
 */
export async function createMasterKey(mod: PKCS11, session: Handle, label: string): Promise<Handle> {
  return p11Async('generate', () =>
    mod.C_GenerateKeyAsync(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
      { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
      { type: pkcs11js.CKA_LABEL, value: label },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: false },
      { type: pkcs11js.CKA_MODIFIABLE, value: false },
      { type: pkcs11js.CKA_WRAP, value: true },
      { type: pkcs11js.CKA_UNWRAP, value: true },
      { type: pkcs11js.CKA_ENCRYPT, value: false },
      { type: pkcs11js.CKA_DECRYPT, value: false },
      { type: pkcs11js.CKA_SIGN, value: false },
      { type: pkcs11js.CKA_VERIFY, value: false },
      { type: pkcs11js.CKA_DERIVE, value: false },
    ]),
  );
}

/**
 * Template of the transient generic secret a C_DeriveKey makes (ECDH, *_ENCRYPT_DATA): a session
 * object of `bytes` bytes (CKA_VALUE_LEN), extractable so that it can be wrapped under the master
 * key, with `protection` (CKA_PRIVATE / CKA_SENSITIVE) as the caller needs.
 */
export function derivedSecretTemplate(bytes: number, protection: Template): Template {
  return [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_GENERIC_SECRET },
    { type: pkcs11js.CKA_TOKEN, value: false },
    ...protection,
    { type: pkcs11js.CKA_EXTRACTABLE, value: true },
    { type: pkcs11js.CKA_VALUE_LEN, value: bytes },
  ];
}

/** Search template of a resident key by CKA_ID. */
export function residentSearch(idHex: string): Template {
  return [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_ID, value: Buffer.from(idHex, 'hex') },
  ];
}

/** Reads CKA_VALUE of an extractable, non-sensitive object. */
export function readValue(mod: PKCS11, session: Handle, key: Handle): Buffer {
  const [attr] = p11('read-attribute', () => mod.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_VALUE }]));
  const value = attr?.value;
  if (!Buffer.isBuffer(value)) throw new CryptoError('HSM_ERROR', 'PKCS#11 module returned no CKA_VALUE');
  return value;
}

/** C_DestroyObject, swallowing failure: used in `finally` blocks for transient objects. */
export function destroyQuietly(mod: PKCS11, session: Handle, key: Handle): void {
  try {
    mod.C_DestroyObject(session, key);
  } catch {
    // A session object dies with its session at the latest (v2.40 §4.4).
  }
}
