/**
 * PKCS#11 return codes (CKR_*) mapped to CryptoError codes, by number, never by message text
 * (CONVENTIONS.md §3). The table is data: one row per return value we give a meaning to;
 * everything else becomes HSM_ERROR with the CKR code attached for the server log.
 */
import pkcs11js from 'pkcs11js';

import { CryptoError, type CryptoErrorCode } from '../provider.js';

/** The operation that failed; a few return codes mean different things in different places. */
export type Pkcs11Operation =
  | 'initialize'
  | 'login'
  | 'open-session'
  | 'init-token'
  | 'generate'
  | 'wrap'
  | 'unwrap'
  | 'create'
  | 'destroy'
  | 'find'
  | 'read-attribute'
  | 'random'
  | 'crypto'
  | 'decrypt';

/** Names of the return codes we map, from PKCS#11 v2.40 §5.1 (pkcs11.h). */
const CODE_BY_NAME: Readonly<Record<string, CryptoErrorCode>> = {
  // The token, the session or the login is gone or unusable: storage is unavailable.
  CKR_HOST_MEMORY: 'HSM_UNAVAILABLE',
  CKR_SLOT_ID_INVALID: 'HSM_UNAVAILABLE',
  CKR_DEVICE_ERROR: 'HSM_UNAVAILABLE',
  CKR_DEVICE_MEMORY: 'HSM_UNAVAILABLE',
  CKR_DEVICE_REMOVED: 'HSM_UNAVAILABLE',
  CKR_TOKEN_NOT_PRESENT: 'HSM_UNAVAILABLE',
  CKR_TOKEN_NOT_RECOGNIZED: 'HSM_UNAVAILABLE',
  CKR_TOKEN_WRITE_PROTECTED: 'HSM_UNAVAILABLE',
  CKR_SESSION_CLOSED: 'HSM_UNAVAILABLE',
  CKR_SESSION_COUNT: 'HSM_UNAVAILABLE',
  CKR_SESSION_HANDLE_INVALID: 'HSM_UNAVAILABLE',
  CKR_CRYPTOKI_NOT_INITIALIZED: 'HSM_UNAVAILABLE',
  CKR_PIN_INCORRECT: 'HSM_UNAVAILABLE',
  CKR_PIN_INVALID: 'HSM_UNAVAILABLE',
  CKR_PIN_LEN_RANGE: 'HSM_UNAVAILABLE',
  CKR_PIN_EXPIRED: 'HSM_UNAVAILABLE',
  CKR_PIN_LOCKED: 'HSM_UNAVAILABLE',
  CKR_USER_NOT_LOGGED_IN: 'HSM_UNAVAILABLE',
  CKR_USER_PIN_NOT_INITIALIZED: 'HSM_UNAVAILABLE',
  // The HSM refuses to let key material out.
  CKR_KEY_UNEXTRACTABLE: 'NOT_EXTRACTABLE',
  CKR_KEY_NOT_WRAPPABLE: 'NOT_EXTRACTABLE',
  CKR_ATTRIBUTE_SENSITIVE: 'NOT_EXTRACTABLE',
  // The module does not do what was asked (mechanism, size, template).
  CKR_MECHANISM_INVALID: 'UNSUPPORTED',
  CKR_MECHANISM_PARAM_INVALID: 'UNSUPPORTED',
  CKR_FUNCTION_NOT_SUPPORTED: 'UNSUPPORTED',
  CKR_KEY_SIZE_RANGE: 'UNSUPPORTED',
  CKR_TEMPLATE_INCONSISTENT: 'UNSUPPORTED',
  CKR_TEMPLATE_INCOMPLETE: 'UNSUPPORTED',
  CKR_ATTRIBUTE_TYPE_INVALID: 'UNSUPPORTED',
  CKR_ATTRIBUTE_VALUE_INVALID: 'UNSUPPORTED',
  CKR_KEY_TYPE_INCONSISTENT: 'UNSUPPORTED',
  CKR_KEY_FUNCTION_NOT_PERMITTED: 'UNSUPPORTED',
  CKR_DATA_LEN_RANGE: 'UNSUPPORTED',
  CKR_DATA_INVALID: 'UNSUPPORTED',
  // Stored material that the HSM cannot make sense of: a corrupted or foreign blob.
  CKR_WRAPPED_KEY_INVALID: 'BAD_KEY',
  CKR_WRAPPED_KEY_LEN_RANGE: 'BAD_KEY',
  CKR_ENCRYPTED_DATA_INVALID: 'BAD_KEY',
  CKR_ENCRYPTED_DATA_LEN_RANGE: 'BAD_KEY',
  CKR_KEY_HANDLE_INVALID: 'BAD_KEY',
  CKR_OBJECT_HANDLE_INVALID: 'BAD_KEY',
};

/** Numeric CKR value -> [name, CryptoError code]. Built from pkcs11js's constants. */
const TABLE: ReadonlyMap<number, readonly [string, CryptoErrorCode]> = new Map(
  Object.entries(CODE_BY_NAME).flatMap(([name, code]) => {
    const value = (pkcs11js as unknown as Record<string, unknown>)[name];
    return typeof value === 'number' ? [[value, [name, code] as const]] : [];
  }),
);

/** Name of every CKR_* constant pkcs11js knows, for messages (`CKR_PIN_INCORRECT`, ...). */
const NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(pkcs11js as unknown as Record<string, unknown>).flatMap(([name, value]) =>
    name.startsWith('CKR_') && typeof value === 'number' ? [[value, name] as const] : [],
  ),
);

/** Returns the CKR_* name of a return value, or its hex form when unknown (vendor codes). */
export function ckrName(code: number): string {
  return NAMES.get(code) ?? `CKR_0x${code.toString(16).padStart(8, '0')}`;
}

/** The PKCS#11 return value carried by an error from pkcs11js, if it is one. */
export function ckrOf(err: unknown): number | undefined {
  if (err instanceof pkcs11js.Pkcs11Error && typeof err.code === 'number' && err.code !== 0) return err.code;
  return undefined;
}

/** Maps a return value to a CryptoError code, taking the failed operation into account. */
export function cryptoCodeFor(code: number, op: Pkcs11Operation): CryptoErrorCode {
  // SoftHSM2 reports a failed RFC 3394/5649 integrity check on C_UnwrapKey, and a GCM tag that
  // does not verify on C_Decrypt, as CKR_GENERAL_ERROR (or CKR_FUNCTION_FAILED); there both mean
  // "this input does not authenticate under the key": a cryptographic failure, not a broken HSM.
  if ((op === 'unwrap' || op === 'decrypt') && (code === pkcs11js.CKR_GENERAL_ERROR || code === pkcs11js.CKR_FUNCTION_FAILED)) {
    return 'BAD_KEY';
  }
  return TABLE.get(code)?.[1] ?? 'HSM_ERROR';
}

/**
 * Converts anything thrown by a pkcs11js call into a CryptoError. The message names the
 * operation and the CKR code only: pkcs11js messages can carry native stack text, and nothing
 * the caller passed (PINs, key bytes) is ever included.
 */
export function toCryptoError(err: unknown, op: Pkcs11Operation): CryptoError {
  if (err instanceof CryptoError) return err;
  const code = ckrOf(err);
  if (code === undefined) {
    // A NativeError or TypeError from the binding: a programming or loading problem.
    // The original stays reachable as `cause` for the server log; it never reaches a client.
    const kind = err instanceof Error ? err.name : 'non-error value';
    return withCause(new CryptoError('HSM_ERROR', `PKCS#11 ${op} failed (${kind})`), err);
  }
  const name = ckrName(code);
  const hint = code === pkcs11js.CKR_PIN_INCORRECT ? ' (check the configured user PIN)' : '';
  return new CryptoError(cryptoCodeFor(code, op), `PKCS#11 ${op} failed: ${name}${hint}`, code);
}

function withCause(e: CryptoError, cause: unknown): CryptoError {
  Object.defineProperty(e, 'cause', { value: cause, enumerable: false, configurable: true, writable: true });
  return e;
}

/** Runs a synchronous PKCS#11 call, converting its failure. */
export function p11<T>(op: Pkcs11Operation, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toCryptoError(err, op);
  }
}

/** Awaits an asynchronous PKCS#11 call, converting its failure. */
export async function p11Async<T>(op: Pkcs11Operation, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toCryptoError(err, op);
  }
}
