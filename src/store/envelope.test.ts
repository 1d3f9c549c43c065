import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope } from './envelope.js';
import { StoreCorruptionError } from './errors.js';
import type { StoredObject } from './object-store.js';

const obj: StoredObject = {
  uid: 'ключ-1',
  owner: 'CN=alice',
  revision: 2 ** 40,
  body: Buffer.from([0, 1, 2, 0xff]),
  index: [
    { field: 'name', value: Buffer.from('k\0') },
    { field: 'state', value: Buffer.from([0, 0, 0, 1]) },
  ],
};

describe('object envelope', () => {
  it('round-trips every field', () => {
    const back = decodeEnvelope(encodeEnvelope(obj), obj.uid);
    expect(back).toEqual({ ...obj, body: Buffer.from(obj.body), index: obj.index.map((t) => ({ field: t.field, value: Buffer.from(t.value) })) });
  });

  it('fails on every truncation, on trailing bytes and on an unknown version', () => {
    const bytes = encodeEnvelope(obj);
    for (let n = 0; n < bytes.length; n++) expect(() => decodeEnvelope(bytes.subarray(0, n), 'x')).toThrow(StoreCorruptionError);
    expect(() => decodeEnvelope(Buffer.concat([bytes, Buffer.from([0])]), 'x')).toThrow(/trailing/);
    const v2 = Buffer.from(bytes);
    v2[0] = 2;
    expect(() => decodeEnvelope(v2, 'x')).toThrow(/version 2/);
  });

  it('decodes the index terms on first use from its own copy, so reusing the input buffer changes nothing', () => {
    const bytes = Buffer.from(encodeEnvelope(obj));
    const back = decodeEnvelope(bytes, obj.uid);
    bytes.fill(0xee);
    expect(back.index).toEqual(obj.index.map((t) => ({ field: t.field, value: Buffer.from(t.value) })));
    expect(back.index).toBe(back.index);
    expect(Buffer.from(back.body)).toEqual(Buffer.from(obj.body));
  });

  it('does not trust a huge term count', () => {
    const bytes = Buffer.from(encodeEnvelope({ ...obj, index: [] }));
    // The count sits after version, uid, owner and revision.
    const countAt = 1 + 4 + Buffer.byteLength(obj.uid) + 4 + Buffer.byteLength(obj.owner) + 8;
    bytes.writeUInt32BE(0xffffffff, countAt);
    expect(() => decodeEnvelope(bytes, 'x')).toThrow(/truncated/);
  });

  it('rejects revisions it cannot store exactly', () => {
    expect(() => encodeEnvelope({ ...obj, revision: -1 })).toThrow(RangeError);
    expect(() => encodeEnvelope({ ...obj, revision: 1.5 })).toThrow(RangeError);
  });
});
