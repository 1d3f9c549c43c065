/**
 * The decoded-object cache (src/operations/object-cache.ts): bounded, exact, and never stale
 * after any write. Every write path is driven through the dispatcher (memory store, fake crypto,
 * a controlled clock) with the cache warm; after each, what a request sees through the cache must
 * equal what it sees after the cache is cleared (a fresh decode of the store), and must show the
 * write. The oracle also counts cache hits, so a cache that never hit could not pass.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../src/dispatch/dispatcher.js';
import {
  CryptographicAlgorithm,
  LinkType,
  ObjectType,
  Operation,
  ResultReason,
  ResultStatus,
  RevocationReasonCode,
  State,
  Tag,
} from '../src/kmip/generated/index.js';
import { DecodedObjectCache, OBJECT_CACHE_MAX_BODY, objectCacheFor } from '../src/operations/object-cache.js';
import { type ManagedObject, deserializeObject, serializeObject, withAttribute } from '../src/operations/objects.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { ObjectStore, StoredObject } from '../src/store/object-store.js';
import { child, dateTime, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, parseResponse, payloadText, request } from './helpers/kmip-request.js';
import { testDispatcher } from './helpers/dispatcher.js';

const T0 = 1_800_000_000;
const V21: [number, number] = [2, 1];
const ALICE = { principal: 'alice', connId: 'c1' };

const uidNode = (uid: string) => text(Tag.UniqueIdentifier, uid);
const newAttr = (a: TtlvNode) => struct(Tag.NewAttribute, [a]);
const curAttr = (a: TtlvNode) => struct(Tag.CurrentAttribute, [a]);
const name = (s: string) => struct(Tag.Name, [text(Tag.NameValue, s), enm(Tag.NameType, 1)]);
const valueOf = (attrs: TtlvNode[], tag: number) => attrs.find((n) => n.tag === tag);

describe('decoded-object cache through the operations', () => {
  let store: ObjectStore;
  let d: Dispatcher;
  let clock: number;

  beforeEach(() => {
    store = createMemoryStore();
    clock = T0;
    d = testDispatcher({ store, now: () => new Date(clock * 1000) });
  });

  const cache = () => objectCacheFor(store);
  const call = async (op: number, payload: TtlvNode[]): Promise<ItemResult> =>
    parseResponse(await d.handle(request(V21, [{ operation: op, payload }]), ALICE)).items[0]!;
  const ok = async (op: number, payload: TtlvNode[]): Promise<ItemResult> => {
    const r = await call(op, payload);
    expect(r.message ?? '', `status ${r.status} reason ${r.reason}`).toBe('');
    expect(r.status).toBe(ResultStatus.Success);
    return r;
  };
  const create = async (extra: TtlvNode[] = []): Promise<string> =>
    payloadText(
      await ok(Operation.Create, [
        enm(Tag.ObjectType, ObjectType.SymmetricKey),
        struct(Tag.Attributes, [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 128), int(Tag.CryptographicUsageMask, 12), ...extra]),
      ]),
      Tag.UniqueIdentifier,
    )!;
  const allAttrs = async (uid: string): Promise<TtlvNode[]> => {
    const r = await ok(Operation.GetAttributes, [uidNode(uid)]);
    const s = r.payload === undefined ? undefined : child(r.payload, Tag.Attributes);
    return s?.type === 'Structure' ? s.value : [];
  };

  /**
   * Reads the object's attributes through a warm cache, then again after clearing it (a fresh
   * decode of the store); they must agree. Returns them. `expectHit`: the first read was a hit.
   */
  async function seen(uid: string, expectHit = true): Promise<TtlvNode[]> {
    const h0 = cache().hits;
    const cached = await allAttrs(uid);
    if (expectHit) expect(cache().hits).toBeGreaterThan(h0);
    cache().clear();
    const fresh = await allAttrs(uid);
    expect(cached).toEqual(fresh);
    return fresh;
  }

  /** Creates a key and warms the cache with it (its second read is a hit). */
  async function warm(extra: TtlvNode[] = []): Promise<string> {
    const uid = await create(extra);
    await allAttrs(uid);
    await seen(uid);
    await allAttrs(uid); // warm again after seen() cleared it
    return uid;
  }

  it('serves repeated reads from the cache, and Get answers the same with and without it', async () => {
    const uid = await warm();
    await ok(Operation.Activate, [uidNode(uid)]);
    const first = await ok(Operation.Get, [uidNode(uid)]); // clears Fresh: a write
    await ok(Operation.Get, [uidNode(uid)]); // the new revision, decoded once
    const h0 = cache().hits;
    const again = await ok(Operation.Get, [uidNode(uid)]);
    expect(cache().hits).toBe(h0 + 1);
    cache().clear();
    const fresh = await ok(Operation.Get, [uidNode(uid)]);
    expect(again.payload).toEqual(fresh.payload);
    expect(first.payload).toEqual(fresh.payload);
  });

  it('Set / Add / Modify / Delete Attribute are seen by the next read', async () => {
    const uid = await warm();
    await ok(Operation.SetAttribute, [uidNode(uid), newAttr(text(Tag.ContactInformation, 'ops'))]);
    expect(valueOf(await seen(uid, false), Tag.ContactInformation)).toEqual(text(Tag.ContactInformation, 'ops'));
    await allAttrs(uid);
    await ok(Operation.AddAttribute, [uidNode(uid), newAttr(name('alias'))]);
    expect((await seen(uid, false)).filter((n) => n.tag === Tag.Name)).toEqual([name('alias')]);
    await allAttrs(uid);
    await ok(Operation.ModifyAttribute, [uidNode(uid), newAttr(text(Tag.ContactInformation, 'secops'))]);
    expect(valueOf(await seen(uid, false), Tag.ContactInformation)).toEqual(text(Tag.ContactInformation, 'secops'));
    await allAttrs(uid);
    await ok(Operation.ModifyAttribute, [uidNode(uid), curAttr(name('alias')), newAttr(name('alias2'))]);
    expect((await seen(uid, false)).filter((n) => n.tag === Tag.Name)).toEqual([name('alias2')]);
    await allAttrs(uid);
    await ok(Operation.DeleteAttribute, [uidNode(uid), curAttr(text(Tag.ContactInformation, 'secops'))]);
    expect(valueOf(await seen(uid, false), Tag.ContactInformation)).toBeUndefined();
  });

  it('Activate, Revoke and Destroy are seen by the next read; a destroyed key is never returned', async () => {
    const uid = await warm();
    await ok(Operation.Activate, [uidNode(uid)]);
    expect(valueOf(await seen(uid, false), Tag.State)).toEqual(enm(Tag.State, State.Active));
    await ok(Operation.Get, [uidNode(uid)]);
    await ok(Operation.Get, [uidNode(uid)]); // warm on the current revision
    clock += 5;
    await ok(Operation.Revoke, [uidNode(uid), struct(Tag.RevocationReason, [enm(Tag.RevocationReasonCode, RevocationReasonCode.CessationOfOperation)])]);
    expect(valueOf(await seen(uid, false), Tag.State)).toEqual(enm(Tag.State, State.Deactivated));
    await allAttrs(uid);
    await ok(Operation.Destroy, [uidNode(uid)]);
    expect(valueOf(await seen(uid, false), Tag.State)).toEqual(enm(Tag.State, State.Destroyed));
    const got = await call(Operation.Get, [uidNode(uid)]);
    expect(got.status).toBe(ResultStatus.OperationFailed);
    expect(got.reason).toBe(ResultReason.ObjectDestroyed);
  });

  it('Re-key links the old key to its replacement, seen by the next read of the old key', async () => {
    const uid = await warm();
    await ok(Operation.Activate, [uidNode(uid)]);
    await allAttrs(uid);
    const nu = payloadText(await ok(Operation.ReKey, [uidNode(uid)]), Tag.UniqueIdentifier)!;
    const links = (await seen(uid, false)).filter((n) => n.tag === Tag.Link);
    expect(links.map((l) => [child(l, Tag.LinkType)!.value, child(l, Tag.LinkedObjectIdentifier)!.value])).toContainEqual([LinkType.ReplacementObjectLink, nu]);
  });

  it('Archive and Recover are seen by the next read (an archived key is not served)', async () => {
    const uid = await warm();
    await ok(Operation.Archive, [uidNode(uid)]);
    const got = await call(Operation.Get, [uidNode(uid)]);
    expect(got.status).toBe(ResultStatus.OperationFailed);
    expect(got.reason).toBe(ResultReason.ObjectArchived);
    await ok(Operation.Recover, [uidNode(uid)]);
    await ok(Operation.Get, [uidNode(uid)]);
  });

  it('a State change by date takes effect on a cached object (dates are applied on every load)', async () => {
    const uid = await warm([dateTime(Tag.ActivationDate, BigInt(T0 + 100)), dateTime(Tag.DeactivationDate, BigInt(T0 + 200))]);
    expect(valueOf(await seen(uid), Tag.State)).toEqual(enm(Tag.State, State.PreActive));
    await allAttrs(uid);
    clock = T0 + 150;
    expect(valueOf(await seen(uid), Tag.State)).toEqual(enm(Tag.State, State.Active));
    await allAttrs(uid);
    clock = T0 + 250;
    expect(valueOf(await seen(uid), Tag.State)).toEqual(enm(Tag.State, State.Deactivated));
  });

  it('concurrent commits on one object: whatever lands is what the next read sees', async () => {
    const uid = await warm();
    const results = await Promise.all(
      ['a', 'b', 'c', 'd'].map((v) => call(Operation.SetAttribute, [uidNode(uid), newAttr(text(Tag.ContactInformation, v))]).catch(() => undefined)),
    );
    // The first lands; those that read the same revision lose the race (or win it in order).
    expect(results.some((r) => r?.status === ResultStatus.Success)).toBe(true);
    const now = deserializeObject((await store.get(uid))!);
    const expected = now.attributes.find((a) => a.tag === Tag.ContactInformation)?.value;
    expect(expected).toBeDefined();
    expect(valueOf(await seen(uid, false), Tag.ContactInformation)).toEqual(expected);
  });

  it('a write by another writer of the store (no request of ours) is seen, and a deletion drops the entry', async () => {
    const uid = await warm();
    const obj = deserializeObject((await store.get(uid))!);
    // As another kmipd node sharing the store would: a newer revision written behind our back.
    const changed: ManagedObject = { ...withAttribute(obj, Tag.ContactInformation, text(Tag.ContactInformation, 'elsewhere')), revision: obj.revision + 1 };
    await store.commit({ put: [serializeObject(changed)], delete: [], audit: [] });
    expect(valueOf(await seen(uid, false), Tag.ContactInformation)).toEqual(text(Tag.ContactInformation, 'elsewhere'));
    await allAttrs(uid);
    const entries = cache().stats.entries;
    await store.commit({ put: [], delete: [uid], audit: [] });
    const r = await call(Operation.GetAttributes, [uidNode(uid)]);
    expect(r.reason).toBe(ResultReason.ObjectNotFound);
    expect(cache().stats.entries).toBe(entries - 1);
  });
});

describe('DecodedObjectCache', () => {
  const decodeCount = { n: 0 };
  const decode = (s: StoredObject): ManagedObject => {
    decodeCount.n++;
    return deserializeObject(s);
  };
  const obj = (uid: string, revision = 1, contact = 'x'): StoredObject =>
    serializeObject({
      uid,
      owner: 'alice',
      revision,
      objectType: ObjectType.SecretData,
      attributes: [
        { tag: Tag.State, value: enm(Tag.State, State.Active) },
        { tag: Tag.ContactInformation, value: text(Tag.ContactInformation, contact) },
      ],
    });
  const contactOf = (o: ManagedObject) => o.attributes.find((a) => a.tag === Tag.ContactInformation)?.value;

  it('hits only on the same uid, owner, revision and body bytes', () => {
    const c = new DecodedObjectCache();
    decodeCount.n = 0;
    const a = c.load(obj('u1'), decode);
    expect(c.load(obj('u1'), decode)).toBe(a);
    expect(decodeCount.n).toBe(1);
    // Same revision, different body (a writer that did not raise the revision): still exact.
    expect(contactOf(c.load(obj('u1', 1, 'y'), decode))).toEqual(text(Tag.ContactInformation, 'y'));
    expect(decodeCount.n).toBe(2);
    // Same body, another revision.
    expect(c.load(obj('u1', 2, 'y'), decode).revision).toBe(2);
    // Another owner.
    const other = { ...obj('u1', 2, 'y'), owner: 'bob' };
    expect(c.load(other, decode).owner).toBe('bob');
    expect(decodeCount.n).toBe(4);
    expect(c.stats).toMatchObject({ hits: 1, misses: 4, entries: 1 });
  });

  it('is bounded by entries (least recently used out) and by bytes; large bodies are not kept', () => {
    const c = new DecodedObjectCache(3, 1 << 20);
    for (const u of ['a', 'b', 'c']) c.load(obj(u), decode);
    c.load(obj('a'), decode); // a is now most recent
    c.load(obj('d'), decode); // evicts b
    expect(c.stats.entries).toBe(3);
    decodeCount.n = 0;
    c.load(obj('a'), decode);
    c.load(obj('c'), decode);
    expect(decodeCount.n).toBe(0);
    c.load(obj('b'), decode);
    expect(decodeCount.n).toBe(1);

    const one = obj('z').body.length;
    const byBytes = new DecodedObjectCache(100, one * 2);
    for (const u of ['z1', 'z2', 'z3', 'z4']) byBytes.load(obj(u), decode);
    expect(byBytes.stats.entries).toBe(2);
    expect(byBytes.stats.bytes).toBeLessThanOrEqual(one * 2);

    const big = obj('big', 1, 'x'.repeat(OBJECT_CACHE_MAX_BODY));
    c.clear();
    c.load(big, decode);
    expect(c.stats.entries).toBe(0);
  });

  it('evict forgets an entry', () => {
    const c = new DecodedObjectCache();
    c.load(obj('e'), decode);
    c.evict('e');
    c.evict('never');
    expect(c.stats).toMatchObject({ entries: 0, bytes: 0 });
  });
});
