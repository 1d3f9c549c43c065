/**
 * EdDSA on the PKCS#11 token (see ../eddsa.ts for the model). PKCS#11 v3.0 §2.3.6-2.3.8:
 * CKK_EC_EDWARDS keys, CKM_EC_EDWARDS_KEY_PAIR_GEN with CKA_EC_PARAMS naming the curve (RFC 8410
 * OID), CKM_EDDSA without parameters (pure Ed25519 / Ed448, no context). pkcs11js 2.1 predates
 * v3.0, so the numbers are here. SoftHSM2 2.6.1 (Debian) implements all three.
 */
import { randomBytes } from 'node:crypto';

import pkcs11js from 'pkcs11js';
import type { Handle, PKCS11, Template } from 'pkcs11js';

import { ED_CURVES, type EdCurve, type EdPrivateKey, type GeneratedEdPair, edPkcs8, edRawPrivate, edSpki } from '../eddsa.js';
import { CryptoError } from '../provider.js';
import { residentPrivateSearch } from './asymmetric.js';
import { p11, p11Async } from './ckr.js';
import { destroyQuietly, findObjects } from './objects.js';
import type { SessionPool } from './session-pool.js';

/** PKCS#11 v3.0 constants (pkcs11t.h). */
export const CKK_EC_EDWARDS = 0x40;
export const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
export const CKM_EDDSA = 0x1057;

/** CKA_EC_POINT: a DER OCTET STRING (v3.0 §2.3.6), or the raw key from some modules. */
function rawPoint(value: Buffer, curve: EdCurve): Buffer {
  const n = ED_CURVES[curve].keyBytes;
  if (value.length === n) return value;
  if (value[0] === 0x04 && value[1] === n && value.length === n + 2) return value.subarray(2);
  throw new CryptoError('HSM_ERROR', 'unexpected CKA_EC_POINT encoding');
}

function value(mod: PKCS11, session: Handle, obj: Handle, type: number): Buffer {
  const [a] = p11('read-attribute', () => mod.C_GetAttributeValue(session, obj, [{ type }]));
  if (!Buffer.isBuffer(a?.value)) throw new CryptoError('HSM_ERROR', 'PKCS#11 module returned no attribute value');
  return a.value;
}

export class Pkcs11EdDsa {
  constructor(
    private readonly module: () => PKCS11,
    private readonly pool: SessionPool,
  ) {}

  private get mod(): PKCS11 {
    return this.module();
  }

  async generate(curve: EdCurve, extractable: boolean): Promise<GeneratedEdPair> {
    const params = Buffer.from(ED_CURVES[curve].oid, 'hex');
    const id = extractable ? undefined : randomBytes(16);
    const priv: Template = [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
      { type: pkcs11js.CKA_TOKEN, value: id !== undefined },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      // Extractable keys are read once below (the module cannot wrap them) and dropped.
      { type: pkcs11js.CKA_SENSITIVE, value: !extractable },
      { type: pkcs11js.CKA_EXTRACTABLE, value: extractable },
      { type: pkcs11js.CKA_SIGN, value: true },
      ...(id ? [{ type: pkcs11js.CKA_ID, value: id }] : []),
    ];
    const pub: Template = [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
      { type: pkcs11js.CKA_TOKEN, value: false },
      { type: pkcs11js.CKA_VERIFY, value: true },
      { type: pkcs11js.CKA_EC_PARAMS, value: params },
    ];
    return this.pool.use(async (session) => {
      const pair = await p11Async('generate', () => this.mod.C_GenerateKeyPairAsync(session, { mechanism: CKM_EC_EDWARDS_KEY_PAIR_GEN }, pub, priv));
      let keep = false;
      try {
        const publicKey = edSpki(curve, rawPoint(value(this.mod, session, pair.publicKey, pkcs11js.CKA_EC_POINT), curve));
        if (id) {
          keep = true;
          return { privateKey: { kind: 'resident', id: id.toString('hex') }, publicKey };
        }
        const raw = value(this.mod, session, pair.privateKey, pkcs11js.CKA_VALUE);
        try {
          return { privateKey: { kind: 'pkcs8', der: new Uint8Array(edPkcs8(curve, raw)) }, publicKey };
        } finally {
          raw.fill(0);
        }
      } finally {
        destroyQuietly(this.mod, session, pair.publicKey);
        if (!keep) destroyQuietly(this.mod, session, pair.privateKey);
      }
    });
  }

  async sign(key: EdPrivateKey, curve: EdCurve, data: Uint8Array): Promise<Uint8Array> {
    return this.pool.use(async (session) => {
      let handle: Handle;
      let transient = true;
      if (key.kind === 'resident') {
        const found = findObjects(this.mod, session, residentPrivateSearch(key.id))[0];
        if (!found) throw new CryptoError('BAD_KEY', 'resident key not found in the token');
        handle = found;
        transient = false;
      } else {
        const raw = edRawPrivate(key.der, curve);
        try {
          handle = p11('create', () =>
            this.mod.C_CreateObject(session, [
              { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
              { type: pkcs11js.CKA_KEY_TYPE, value: CKK_EC_EDWARDS },
              { type: pkcs11js.CKA_TOKEN, value: false },
              { type: pkcs11js.CKA_PRIVATE, value: true },
              { type: pkcs11js.CKA_SENSITIVE, value: true },
              { type: pkcs11js.CKA_EXTRACTABLE, value: false },
              { type: pkcs11js.CKA_SIGN, value: true },
              { type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from(ED_CURVES[curve].oid, 'hex') },
              { type: pkcs11js.CKA_VALUE, value: raw },
            ]),
          );
        } finally {
          raw.fill(0);
        }
      }
      try {
        p11('crypto', () => this.mod.C_SignInit(session, { mechanism: CKM_EDDSA }, handle));
        // pkcs11js refuses an empty Buffer (CKR_ARGUMENTS_BAD) but not an empty view of a
        // non-empty one; EdDSA signs empty messages (RFC 8032 §7.1 TEST 1).
        const input = data.length > 0 ? Buffer.from(data) : Buffer.alloc(1).subarray(0, 0);
        const out = await p11Async('crypto', () => this.mod.C_SignAsync(session, input, Buffer.alloc(ED_CURVES[curve].sigBytes)));
        return Uint8Array.from(out);
      } finally {
        if (transient) destroyQuietly(this.mod, session, handle);
      }
    });
  }
}
