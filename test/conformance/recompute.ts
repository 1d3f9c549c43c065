/**
 * Verification of cryptographic outputs the recording cannot predict (issue: values the spec lets
 * vary are verified, not ignored). An Encrypt or Decrypt under a key the server generated, a
 * ciphertext under an IV the server chose (Random IV), or a randomised (PSS) signature cannot equal
 * the recorded bytes; instead the harness recomputes the expected output with node:crypto and
 * compares with that:
 *
 * - the key: from the case's own Register request, or — for a key the server created — read back
 *   with a Get over a separate mutual-TLS connection as the same client (the same object);
 * - the parameters: the request's Cryptographic Parameters, else the ones the key was created or
 *   registered with; the IV: the request's, else the one the server returned;
 * - AES in ECB, CBC (PKCS#5 or no padding) and CTR; RSA-PSS signatures are verified with the public
 *   half of the registered private key;
 * - a key that Get refuses (not extractable, sensitive) is checked by a round trip instead: the
 *   inverse operation over the separate connection must give back the case's input;
 * - RSA-OAEP encryption under a registered public key whose private key the case lacks can only be
 *   checked for its shape (see `oaepShapeOk`).
 *
 * When the output matches the recomputation, the expected node is patched with it (so the rest of
 * the response is still compared as recorded); otherwise nothing changes and the case fails on the
 * recorded bytes. Streamed (Init Indicator / Correlation Value) Encrypt and Decrypt are followed
 * part by part: all output so far must be what node:crypto makes of all input so far.
 */
import { constants, createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, verify } from 'node:crypto';
import { BlockCipherMode, CryptographicAlgorithm, HashingAlgorithm, KeyFormatType, Operation, PaddingMethod, ResultStatus, Tag } from '../../src/kmip/generated/index.js';
import { decodeTtlv } from '../../src/ttlv/decode.js';
import { encodeTtlv } from '../../src/ttlv/encode.js';
import type { TtlvNode } from '../../src/ttlv/types.js';
import { bytes, enm, int, struct, text } from '../../src/ttlv/build.js';
import { type ClientCerts, KmipTestClient } from '../helpers/tls-client.js';
import { bytePlaceholder } from './bindings.js';
import { field, withField } from './compare.js';

/** What the case told the server when it made an object (its request payload), by live uid. */
/** A streamed Encrypt / Decrypt the harness follows (see CaseObjects.streamed). */
interface CipherStream {
  readonly op: number;
  readonly key: Uint8Array;
  readonly mode: number | undefined;
  readonly padding: number | undefined;
  readonly iv: Uint8Array | undefined;
  readonly input: Buffer[];
  readonly output: Buffer[];
}

export class CaseObjects {
  private readonly made = new Map<string, TtlvNode>();
  /** Open streams by their live Correlation Value (hex). */
  private readonly streams = new Map<string, CipherStream>();

  constructor(
    private readonly port: number,
    private readonly certs: ClientCerts,
  ) {}

  /** Records the objects a step's Create / Register items made. */
  note(request: TtlvNode, response: TtlvNode): void {
    const reqs = items(request);
    const resps = items(response);
    for (let i = 0; i < reqs.length && i < resps.length; i++) {
      const op = field(reqs[i]!, Tag.Operation)?.value;
      if (op !== Operation.Create && op !== Operation.Register) continue;
      const rp = field(resps[i]!, Tag.ResponsePayload);
      const uid = rp === undefined ? undefined : field(rp, Tag.UniqueIdentifier);
      const payload = field(reqs[i]!, Tag.RequestPayload);
      if (uid?.type === 'TextString' && payload !== undefined) this.made.set(uid.value, payload);
    }
  }

  /**
   * The expected response with each unpredictable crypto output replaced by the actual one where
   * the recomputation confirms it. `request` is the request as sent (placeholders substituted).
   */
  async verified(request: TtlvNode, expected: TtlvNode, actual: TtlvNode, version: [number, number]): Promise<TtlvNode> {
    if (expected.type !== 'Structure') return expected;
    const reqs = items(request);
    const acts = items(actual);
    let n = 0;
    const out: TtlvNode[] = [];
    for (const c of expected.value) {
      if (c.tag !== Tag.BatchItem) {
        out.push(c);
        continue;
      }
      const i = n++;
      const req = reqs[i];
      const act = acts[i];
      out.push(req === undefined || act === undefined ? c : await this.item(req, c, act, version));
    }
    return { ...expected, value: out };
  }

  private async item(req: TtlvNode, exp: TtlvNode, act: TtlvNode, version: [number, number]): Promise<TtlvNode> {
    const op = field(req, Tag.Operation)?.value;
    if (field(exp, Tag.ResultStatus)?.value !== ResultStatus.Success || field(act, Tag.ResultStatus)?.value !== ResultStatus.Success) return exp;
    const rq = field(req, Tag.RequestPayload);
    const ep = field(exp, Tag.ResponsePayload);
    const ap = field(act, Tag.ResponsePayload);
    if (rq === undefined || ep === undefined || ap === undefined) return exp;
    const uid = field(rq, Tag.UniqueIdentifier) ?? field(ap, Tag.UniqueIdentifier);
    if (uid?.type !== 'TextString') return exp;
    // Streamed operations keep state across requests (see `streamed`).
    if (field(rq, Tag.CorrelationValue) !== undefined || field(rq, Tag.InitIndicator) !== undefined) {
      if (op !== Operation.Encrypt && op !== Operation.Decrypt) return exp;
      const patched = await this.streamed(op, uid.value, rq, ep, ap, version);
      return patched === undefined ? exp : withField(exp, Tag.ResponsePayload, patched);
    }
    if (op === Operation.Encrypt || op === Operation.Decrypt) {
      const patched = await this.cipher(op, uid.value, rq, ep, ap, version);
      return patched === undefined ? exp : withField(exp, Tag.ResponsePayload, patched);
    }
    if (op === Operation.Sign) {
      const patched = this.signature(uid.value, rq, ep, ap);
      return patched === undefined ? exp : withField(exp, Tag.ResponsePayload, patched);
    }
    return exp;
  }

  /** Encrypt / Decrypt: the actual Data if node:crypto (or a round trip) confirms it. */
  private async cipher(op: number, uid: string, rq: TtlvNode, ep: TtlvNode, ap: TtlvNode, version: [number, number]): Promise<TtlvNode | undefined> {
    const ed = field(ep, Tag.Data);
    const ad = field(ap, Tag.Data);
    const input = field(rq, Tag.Data);
    if (ed?.type !== 'ByteString' || ad?.type !== 'ByteString' || input?.type !== 'ByteString') return undefined;
    if (bytePlaceholder(ed.value) !== undefined || Buffer.from(ed.value).equals(Buffer.from(ad.value))) return undefined;
    const made = this.made.get(uid);
    if (made === undefined) return undefined;
    const params = field(rq, Tag.CryptographicParameters) ?? findParams(made);
    if (op === Operation.Encrypt && params !== undefined && findEnum(params, Tag.PaddingMethod) === PaddingMethod.OAEP) {
      return oaepShapeOk(made, ad.value) ? withField(ep, Tag.Data, ad) : undefined;
    }
    if (algorithmOf(made) !== CryptographicAlgorithm.AES) return undefined;
    const mode = params === undefined ? undefined : findEnum(params, Tag.BlockCipherMode);
    const padding = params === undefined ? undefined : findEnum(params, Tag.PaddingMethod);
    const reqIv = field(rq, Tag.IVCounterNonce);
    const respIv = field(ap, Tag.IVCounterNonce);
    const ivNode = reqIv ?? respIv;
    const iv = ivNode?.type === 'ByteString' ? ivNode.value : undefined;
    let patched = withField(ep, Tag.Data, ad);
    // An IV the server generated is random: the ciphertext is verified under it (below).
    const eIv = field(ep, Tag.IVCounterNonce);
    if (reqIv === undefined && respIv?.type === 'ByteString' && eIv?.type === 'ByteString' && eIv.value.length === respIv.value.length) {
      patched = withField(patched, Tag.IVCounterNonce, respIv);
    }
    const key = registeredKey(made) ?? (await this.fetchKey(uid, version));
    if (key !== undefined) {
      const expectedOut = aes(op === Operation.Encrypt, key, mode, padding, iv, input.value);
      return expectedOut !== undefined && Buffer.from(expectedOut).equals(Buffer.from(ad.value)) ? patched : undefined;
    }
    // The key is not readable: the inverse operation must give the case's input back.
    const back = await this.inverse(op, uid, ad.value, params, iv, version);
    return back !== undefined && Buffer.from(back).equals(Buffer.from(input.value)) ? patched : undefined;
  }

  /**
   * One part of a streamed Encrypt / Decrypt (Init Indicator, Correlation Value, Final Indicator;
   * KMIP 1.3+). The stream is followed by its live Correlation Value: its key (as for one-shot
   * requests), parameters and IV are fixed at the Init part, and every part's input and output are
   * kept. A part's Data is accepted when all output so far is what node:crypto makes of all input
   * so far: before the Final part a prefix of the unpadded transform of the whole blocks received
   * (the server may hold back a block, as C_EncryptUpdate / C_DecryptUpdate do), at the Final part
   * exactly the one-shot result with the stream's padding.
   */
  private async streamed(op: number, uid: string, rq: TtlvNode, ep: TtlvNode, ap: TtlvNode, version: [number, number]): Promise<TtlvNode | undefined> {
    const input = field(rq, Tag.Data);
    const ad = field(ap, Tag.Data);
    const init = field(rq, Tag.InitIndicator);
    const final = field(rq, Tag.FinalIndicator);
    const isInit = init?.type === 'Boolean' && init.value;
    const isFinal = final?.type === 'Boolean' && final.value;
    const rcv = field(rq, Tag.CorrelationValue);
    const acv = field(ap, Tag.CorrelationValue);
    let st: CipherStream | undefined;
    if (isInit) {
      const made = this.made.get(uid);
      if (made === undefined || algorithmOf(made) !== CryptographicAlgorithm.AES) return undefined;
      const params = field(rq, Tag.CryptographicParameters) ?? findParams(made);
      const ivNode = field(rq, Tag.IVCounterNonce) ?? field(ap, Tag.IVCounterNonce);
      const key = registeredKey(made) ?? (await this.fetchKey(uid, version));
      if (key === undefined) return undefined;
      st = {
        op,
        key,
        mode: params === undefined ? undefined : findEnum(params, Tag.BlockCipherMode),
        padding: params === undefined ? undefined : findEnum(params, Tag.PaddingMethod),
        iv: ivNode?.type === 'ByteString' ? ivNode.value : undefined,
        input: [],
        output: [],
      };
      if (acv?.type === 'ByteString' && !isFinal) this.streams.set(Buffer.from(acv.value).toString('hex'), st);
    } else if (rcv?.type === 'ByteString') {
      st = this.streams.get(Buffer.from(rcv.value).toString('hex'));
      if (isFinal) this.streams.delete(Buffer.from(rcv.value).toString('hex'));
    }
    if (st === undefined || st.op !== op) return undefined;
    if (input?.type === 'ByteString') st.input.push(Buffer.from(input.value));
    if (ad?.type === 'ByteString') st.output.push(Buffer.from(ad.value));
    const ed = field(ep, Tag.Data);
    if (ed?.type !== 'ByteString' || ad?.type !== 'ByteString') return undefined;
    if (bytePlaceholder(ed.value) !== undefined || Buffer.from(ed.value).equals(Buffer.from(ad.value))) return undefined;
    const inAll = Buffer.concat(st.input);
    const outAll = Buffer.concat(st.output);
    const encrypt = op === Operation.Encrypt;
    if (isFinal) {
      const want = aes(encrypt, st.key, st.mode, st.padding, st.iv, inAll);
      return want !== undefined && Buffer.from(want).equals(outAll) ? withField(ep, Tag.Data, ad) : undefined;
    }
    const whole = st.mode === BlockCipherMode.CTR ? inAll : inAll.subarray(0, inAll.length - (inAll.length % 16));
    const want = aes(encrypt, st.key, st.mode, PaddingMethod.None, st.iv, whole);
    return want !== undefined && Buffer.from(want).subarray(0, outAll.length).equals(outAll) && outAll.length <= want.length ? withField(ep, Tag.Data, ad) : undefined;
  }

  /** RSA-PSS Sign under a registered private key: the actual signature if it verifies. */
  private signature(uid: string, rq: TtlvNode, ep: TtlvNode, ap: TtlvNode): TtlvNode | undefined {
    const es = field(ep, Tag.SignatureData);
    const as = field(ap, Tag.SignatureData);
    const data = field(rq, Tag.Data);
    if (es?.type !== 'ByteString' || as?.type !== 'ByteString' || data?.type !== 'ByteString') return undefined;
    if (Buffer.from(es.value).equals(Buffer.from(as.value))) return undefined;
    const made = this.made.get(uid);
    if (made === undefined) return undefined;
    const params = field(rq, Tag.CryptographicParameters) ?? findParams(made);
    if (params === undefined || findEnum(params, Tag.PaddingMethod) !== PaddingMethod.PSS) return undefined;
    const hash = HASHES.get(findEnum(params, Tag.HashingAlgorithm) ?? -1);
    const der = keyMaterial(made);
    if (hash === undefined || der === undefined) return undefined;
    let pub;
    try {
      const format = findEnum(made, Tag.KeyFormatType);
      pub = createPublicKey(createPrivateKey({ key: Buffer.from(der), format: 'der', type: format === KeyFormatType.PKCS_1 ? 'pkcs1' : 'pkcs8' }));
    } catch {
      return undefined;
    }
    const ok = verify(hash, data.value, { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, as.value);
    return ok ? withField(ep, Tag.SignatureData, as) : undefined;
  }

  /** The key value of a server-created symmetric key, read with Get as the same client. */
  private async fetchKey(uid: string, version: [number, number]): Promise<Uint8Array | undefined> {
    const r = await this.roundTrip(version, Operation.Get, [text(Tag.UniqueIdentifier, uid)]);
    return r === undefined ? undefined : keyMaterial(r);
  }

  private async inverse(op: number, uid: string, data: Uint8Array, params: TtlvNode | undefined, iv: Uint8Array | undefined, version: [number, number]): Promise<Uint8Array | undefined> {
    const payload: TtlvNode[] = [text(Tag.UniqueIdentifier, uid), ...(params ? [params] : []), bytes(Tag.Data, data), ...(iv ? [bytes(Tag.IVCounterNonce, iv)] : [])];
    const r = await this.roundTrip(version, op === Operation.Encrypt ? Operation.Decrypt : Operation.Encrypt, payload);
    const d = r === undefined ? undefined : field(r, Tag.Data);
    return d?.type === 'ByteString' ? d.value : undefined;
  }

  /** One request over a separate connection as the case's client; the payload on success. */
  private async roundTrip(version: [number, number], operation: number, payload: TtlvNode[]): Promise<TtlvNode | undefined> {
    const client = await KmipTestClient.connect(this.port, this.certs);
    try {
      const msg = struct(Tag.RequestMessage, [
        struct(Tag.RequestHeader, [struct(Tag.ProtocolVersion, [int(Tag.ProtocolVersionMajor, version[0]), int(Tag.ProtocolVersionMinor, version[1])]), int(Tag.BatchCount, 1)]),
        struct(Tag.BatchItem, [enm(Tag.Operation, operation), struct(Tag.RequestPayload, payload)]),
      ]);
      const raw = await client.roundTrip(encodeTtlv(msg));
      if (raw === undefined) return undefined;
      const item = items(decodeTtlv(raw))[0];
      if (item === undefined || field(item, Tag.ResultStatus)?.value !== ResultStatus.Success) return undefined;
      return field(item, Tag.ResponsePayload);
    } finally {
      client.close();
    }
  }
}

const HASHES = new Map<number, string>([
  [HashingAlgorithm.SHA_1, 'sha1'],
  [HashingAlgorithm.SHA_256, 'sha256'],
  [HashingAlgorithm.SHA_384, 'sha384'],
  [HashingAlgorithm.SHA_512, 'sha512'],
]);

function items(msg: TtlvNode): TtlvNode[] {
  return msg.type === 'Structure' ? msg.value.filter((c) => c.tag === Tag.BatchItem) : [];
}

/** Depth-first search for the first node with `tag`. */
function find(n: TtlvNode, tag: number): TtlvNode | undefined {
  if (n.tag === tag) return n;
  if (n.type !== 'Structure') return undefined;
  for (const c of n.value) {
    const f = find(c, tag);
    if (f !== undefined) return f;
  }
  return undefined;
}

function findEnum(n: TtlvNode, tag: number): number | undefined {
  const f = find(n, tag);
  return f?.type === 'Enumeration' ? f.value : undefined;
}

/** An attribute in a Create / Register payload: a 2.x attribute by tag, or a 1.x Attribute by name. */
function findAttribute(payload: TtlvNode, tag: number, v1Name: string): TtlvNode | undefined {
  const v2 = find(payload, tag);
  if (v2 !== undefined) return v2;
  const walk = (n: TtlvNode): TtlvNode | undefined => {
    if (n.type !== 'Structure') return undefined;
    if (n.tag === Tag.Attribute) {
      const name = field(n, Tag.AttributeName);
      const value = field(n, Tag.AttributeValue);
      if (name?.type === 'TextString' && name.value === v1Name && value !== undefined) return { ...value, tag } as TtlvNode;
    }
    for (const c of n.value) {
      const f = walk(c);
      if (f !== undefined) return f;
    }
    return undefined;
  };
  return walk(payload);
}

function findParams(payload: TtlvNode): TtlvNode | undefined {
  return findAttribute(payload, Tag.CryptographicParameters, 'Cryptographic Parameters');
}

function algorithmOf(payload: TtlvNode): number | undefined {
  const a = findAttribute(payload, Tag.CryptographicAlgorithm, 'Cryptographic Algorithm');
  return a?.type === 'Enumeration' ? a.value : undefined;
}

function keyMaterial(n: TtlvNode): Uint8Array | undefined {
  const k = find(n, Tag.KeyMaterial);
  return k?.type === 'ByteString' ? k.value : undefined;
}

/** The Raw key bytes of a symmetric key the case registered (none for a Create). */
function registeredKey(payload: TtlvNode): Uint8Array | undefined {
  return find(payload, Tag.SymmetricKey) === undefined ? undefined : keyMaterial(payload);
}

const AES_MODES = new Map<number, string>([
  [BlockCipherMode.ECB, 'ecb'],
  [BlockCipherMode.CBC, 'cbc'],
  [BlockCipherMode.CTR, 'ctr'],
]);

function aes(encrypt: boolean, key: Uint8Array, mode: number | undefined, padding: number | undefined, iv: Uint8Array | undefined, data: Uint8Array): Uint8Array | undefined {
  const m = AES_MODES.get(mode ?? BlockCipherMode.ECB);
  if (m === undefined || ![16, 24, 32].includes(key.length)) return undefined;
  if (m !== 'ecb' && iv?.length !== 16) return undefined;
  try {
    const name = `aes-${key.length * 8}-${m}`;
    const c = encrypt ? createCipheriv(name, key, m === 'ecb' ? null : iv!) : createDecipheriv(name, key, m === 'ecb' ? null : iv!);
    c.setAutoPadding(padding === PaddingMethod.PKCS5);
    return Buffer.concat([c.update(data), c.final()]);
  } catch {
    return undefined;
  }
}

/**
 * RSA-OAEP encryption is randomised, and a case that registers only the public key gives no way to
 * decrypt: the ciphertext is checked for its shape instead — exactly the modulus length, and as a
 * number below the modulus (RSAES-OAEP, RFC 8017 §7.1.1). A weaker check than recomputation, and
 * the only one the case allows.
 */
function oaepShapeOk(made: TtlvNode, c: Uint8Array): boolean {
  const der = keyMaterial(made);
  if (der === undefined || find(made, Tag.PublicKey) === undefined) return false;
  let n: bigint;
  try {
    const format = findEnum(made, Tag.KeyFormatType);
    const pub = createPublicKey({ key: Buffer.from(der), format: 'der', type: format === KeyFormatType.PKCS_1 ? 'pkcs1' : 'spki' });
    const jwk = pub.export({ format: 'jwk' });
    if (jwk.kty !== 'RSA' || jwk.n === undefined) return false;
    n = BigInt(`0x${Buffer.from(jwk.n, 'base64url').toString('hex')}`);
  } catch {
    return false;
  }
  const modulusBytes = Math.ceil(n.toString(16).length / 2);
  return c.length === modulusBytes && BigInt(`0x${Buffer.from(c).toString('hex')}`) < n;
}
