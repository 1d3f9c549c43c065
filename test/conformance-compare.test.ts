/**
 * The OASIS replay's comparator rules for values a recording printed as its own server's
 * literals: server-set dates must fall inside this run, Short Unique Identifiers are bound.
 */
import { describe, expect, it } from 'vitest';
import { Tag } from '../src/kmip/generated/index.js';
import { bytes, dateTime, struct } from '../src/ttlv/build.js';
import { Bindings } from './conformance/bindings.js';
import { compareNode } from './conformance/compare.js';

const now = (): bigint => BigInt(Math.floor(Date.now() / 1000));
const recorded2018 = 1545211466n; // 2018-12-19T09:24:26Z, TC-IMPEXP-1-20's literal Initial Date

describe('conformance comparator: literals of the recording server', () => {
  it('accepts a server-set date from this run in place of a recorded literal', () => {
    const e = struct(Tag.Attributes, [dateTime(Tag.InitialDate, recorded2018), dateTime(Tag.LastChangeDate, recorded2018)]);
    const a = struct(Tag.Attributes, [dateTime(Tag.InitialDate, now()), dateTime(Tag.LastChangeDate, now())]);
    expect(compareNode(e, a, new Bindings(), 'p')).toBeUndefined();
  });

  it('refuses a server-set date outside this run', () => {
    const e = struct(Tag.Attributes, [dateTime(Tag.InitialDate, recorded2018)]);
    const stale = struct(Tag.Attributes, [dateTime(Tag.InitialDate, now() - 3600n)]);
    expect(compareNode(e, stale, new Bindings(), 'p')).toMatch(/server-set date outside this run/);
    const future = struct(Tag.Attributes, [dateTime(Tag.InitialDate, now() + 3600n)]);
    expect(compareNode(e, future, new Bindings(), 'p')).toMatch(/server-set date outside this run/);
  });

  it('still compares client-set dates exactly', () => {
    const e = struct(Tag.Attributes, [dateTime(Tag.ActivationDate, recorded2018)]);
    const a = struct(Tag.Attributes, [dateTime(Tag.ActivationDate, now())]);
    expect(compareNode(e, a, new Bindings(), 'p')).toMatch(/date differs/);
  });

  it('binds a literal Short Unique Identifier on first sight and checks it afterwards', () => {
    const literal = Buffer.alloc(32, 0xab);
    const mine = Buffer.alloc(32, 0x01);
    const b = new Bindings();
    expect(compareNode(bytes(Tag.ShortUniqueIdentifier, literal), bytes(Tag.ShortUniqueIdentifier, mine), b, 'p')).toBeUndefined();
    expect(compareNode(bytes(Tag.ShortUniqueIdentifier, literal), bytes(Tag.ShortUniqueIdentifier, mine), b, 'p')).toBeUndefined();
    expect(compareNode(bytes(Tag.ShortUniqueIdentifier, literal), bytes(Tag.ShortUniqueIdentifier, Buffer.alloc(32, 0x02)), b, 'p')).toMatch(/bound to other bytes/);
  });
});
