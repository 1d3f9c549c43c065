/**
 * The stored form of 1.x Attribute Indexes (src/operations/objects.ts, body field `ai`): written
 * only when some index differs from numbering each kind's instances 0, 1, ... in order, so bodies
 * written before indexes were stored (no `ai`) load with exactly that numbering, and objects whose
 * indexes never had gaps keep the same bytes as before.
 */
import { describe, expect, it } from 'vitest';
import { type Attribute, assignAttributeIndexes, nextAttributeIndex } from '../src/kmip/attributes.js';
import { NameType, ObjectType, Tag } from '../src/kmip/generated/index.js';
import { type ManagedObject, deserializeObject, serializeObject } from '../src/operations/objects.js';
import { enm, int, struct, text } from '../src/ttlv/build.js';

const name = (s: string, index?: number): Attribute => ({
  tag: Tag.Name,
  value: struct(Tag.Name, [text(Tag.NameValue, s), enm(Tag.NameType, NameType.UninterpretedTextString)]),
  ...(index === undefined ? {} : { index }),
});
const custom = (s: string, index?: number): Attribute => ({ tag: Tag.AttributeValue, vendor: 'x', vendorName: 'tag', value: text(Tag.AttributeValue, s), ...(index === undefined ? {} : { index }) });
const length: Attribute = { tag: Tag.CryptographicLength, value: int(Tag.CryptographicLength, 128) };

const object = (attributes: Attribute[]): ManagedObject => ({ uid: 'u-1', owner: 'alice', revision: 1, objectType: ObjectType.SecretData, attributes });
const body = (o: ManagedObject) => JSON.parse(Buffer.from(serializeObject(o).body).toString('utf8')) as { ai?: number[] };
const indexes = (o: ManagedObject) => o.attributes.map((a) => [a.tag === Tag.Name ? 'Name' : a.vendor !== undefined ? 'x-tag' : 'len', a.index]);

describe('stored Attribute Index', () => {
  it('a body without indexes (the old format) loads with each kind numbered 0, 1, ... in order', () => {
    const o = object([name('a'), custom('p'), length, name('b'), custom('q'), name('c')]);
    const stored = serializeObject(o);
    expect(body(o).ai).toBeUndefined();
    expect(indexes(deserializeObject(stored))).toEqual([
      ['Name', 0],
      ['x-tag', 0],
      ['len', 0],
      ['Name', 1],
      ['x-tag', 1],
      ['Name', 2],
    ]);
  });

  it('indexes with gaps are stored and read back unchanged', () => {
    const o = object([name('a', 0), name('c', 2), custom('q', 1), length, name('d', 3)]);
    expect(body(o).ai).toEqual([0, 2, 1, 0, 3]);
    const back = deserializeObject(serializeObject(o));
    expect(indexes(back)).toEqual([
      ['Name', 0],
      ['Name', 2],
      ['x-tag', 1],
      ['len', 0],
      ['Name', 3],
    ]);
    // Re-serialising what was read writes the same body.
    expect(Buffer.from(serializeObject(back).body).equals(Buffer.from(serializeObject(o).body))).toBe(true);
  });

  it('an instance without an index gets the next one of its kind; a repeated index is reassigned', () => {
    expect(assignAttributeIndexes([name('b', 1), name('new'), custom('p'), name('c', 4), name('new2')]).map((a) => a.index)).toEqual([1, 5, 0, 4, 6]);
    expect(assignAttributeIndexes([name('a', 2), name('b', 2)]).map((a) => a.index)).toEqual([2, 3]);
    const done = [name('a', 0), { ...length, index: 0 }];
    expect(assignAttributeIndexes(done)).toBe(done);
    expect(nextAttributeIndex([name('a', 0), name('c', 2)], { tag: Tag.Name })).toBe(3);
    expect(nextAttributeIndex([length], { tag: Tag.Name })).toBe(0);
  });

  it('a malformed index list (wrong length or values) is ignored: the instances are numbered in order', () => {
    const stored = serializeObject(object([name('a', 1), name('b', 2)]));
    for (const ai of [[1], [-1, 2], ['x', 2], [1.5, 2]]) {
      const b = JSON.parse(Buffer.from(stored.body).toString('utf8')) as Record<string, unknown>;
      b.ai = ai;
      const back = deserializeObject({ ...stored, body: Buffer.from(JSON.stringify(b)) });
      expect(back.attributes.map((a) => a.index)).toEqual([0, 1]);
    }
  });
});
