import { describe, expect, it } from 'vitest';
import {
  VENDOR_ATTRIBUTE_RULE,
  allAttributeRules,
  attributeRule,
  attributeRuleForTag,
  attributesForVersion,
  checkClientSuppliedAttributes,
  clientMayModifyIn,
  isAttributeInVersion,
  isCreationInput,
} from './attribute-rules.js';
import type { Attribute } from './attributes.js';
import { KmipError } from './errors.js';
import { ResultReason, State, Tag, isTagInVersion, tagInfo } from './generated/index.js';
import { dateTime, enm, text } from '../ttlv/build.js';

const v = (major: number, minor: number) => ({ major, minor });

describe('attribute rules (KMIP 1.4 §3, 2.1 §4)', () => {
  it('every rule names a real tag, defined in every version the rule claims', () => {
    for (const r of allAttributeRules()) {
      const info = tagInfo(r.tag);
      expect(info, `tag 0x${r.tag.toString(16)}`).toBeDefined();
      expect(isTagInVersion(r.tag, r.since), info!.name).toBe(true);
      if (r.until !== undefined) expect(isTagInVersion(r.tag, r.until), info!.name).toBe(true);
      // Server-only attributes cannot be client-modifiable or deletable.
      if (r.initiallySetBy === 'server') expect(r.clientModifiable || r.clientDeletable, info!.name).toBe(false);
    }
  });

  it('records the spec flags of representative attributes', () => {
    expect(attributeRuleForTag(Tag.UniqueIdentifier)).toMatchObject({ multi: false, initiallySetBy: 'server', clientModifiable: false });
    expect(attributeRuleForTag(Tag.Name)).toMatchObject({ multi: true, clientModifiable: true, clientDeletable: true });
    expect(attributeRuleForTag(Tag.State)).toMatchObject({ clientModifiable: false, serverModifiable: true });
    expect(attributeRuleForTag(Tag.Link)!.multi).toBe(true);
    expect(attributeRuleForTag(Tag.OperationPolicyName)).toMatchObject({ since: '1.0', until: '1.4' });
    expect(attributeRuleForTag(Tag.KeyFormatType)!.since).toBe('2.0');
    expect(attributeRuleForTag(Tag.KeyMaterial)).toBeUndefined();
    expect(attributeRule({ tag: Tag.AttributeValue, vendor: 'x' })).toBe(VENDOR_ATTRIBUTE_RULE);
  });

  it('Activation Date is client-modifiable only while Pre-Active; Deactivation Date also while Active', () => {
    const act = attributeRuleForTag(Tag.ActivationDate)!;
    const deact = attributeRuleForTag(Tag.DeactivationDate)!;
    expect(clientMayModifyIn(act, State.PreActive)).toBe(true);
    expect(clientMayModifyIn(act, State.Active)).toBe(false);
    expect(clientMayModifyIn(deact, State.Active)).toBe(true);
    expect(clientMayModifyIn(deact, State.Deactivated)).toBe(false);
  });

  it('attributesForVersion keeps from a 1.x client what its version lacks, and 1.x-only ones from 2.x', () => {
    const attrs: Attribute[] = [
      { tag: Tag.UniqueIdentifier, value: text(Tag.UniqueIdentifier, 'u') },
      { tag: Tag.Fresh, value: { type: 'Boolean', tag: Tag.Fresh, value: true } },
      { tag: Tag.OriginalCreationDate, value: dateTime(Tag.OriginalCreationDate, 1n) },
      { tag: Tag.Sensitive, value: { type: 'Boolean', tag: Tag.Sensitive, value: false } },
      { tag: Tag.KeyFormatType, value: enm(Tag.KeyFormatType, 1) },
      { tag: Tag.ShortUniqueIdentifier, value: { type: 'ByteString', tag: Tag.ShortUniqueIdentifier, value: new Uint8Array(1) } },
      { tag: Tag.OperationPolicyName, value: text(Tag.OperationPolicyName, 'default') },
      { tag: Tag.AttributeValue, vendor: 'x', vendorName: 'ID', value: text(Tag.AttributeValue, 'a') },
      { tag: Tag.AttributeValue, vendor: 'tc', vendorName: 'Set', value: text(Tag.AttributeValue, 'b') },
    ];
    const names = (ver: { major: number; minor: number }) =>
      attributesForVersion(attrs, ver).map((a) => (a.vendor !== undefined ? `${a.vendor}:${a.vendorName}` : tagInfo(a.tag)!.name));
    expect(names(v(1, 0))).toEqual(['UniqueIdentifier', 'OperationPolicyName', 'x:ID']);
    expect(names(v(1, 1))).toEqual(['UniqueIdentifier', 'Fresh', 'OperationPolicyName', 'x:ID']);
    expect(names(v(1, 4))).toEqual(['UniqueIdentifier', 'Fresh', 'OriginalCreationDate', 'Sensitive', 'OperationPolicyName', 'x:ID']);
    expect(names(v(2, 1))).toEqual([
      'UniqueIdentifier',
      'Fresh',
      'OriginalCreationDate',
      'Sensitive',
      'KeyFormatType',
      'ShortUniqueIdentifier',
      'x:ID',
      'tc:Set',
    ]);
    // Certificate name parts are attributes from 1.4 on (OASIS TC-CERTATTR-1-14), not in 1.3.
    expect(isAttributeInVersion({ tag: Tag.CertificateSubjectCN }, v(1, 3))).toBe(false);
    expect(isAttributeInVersion({ tag: Tag.CertificateSubjectCN }, v(1, 4))).toBe(true);
  });

  it('refuses server-only attributes from clients: Read Only Attribute at 2.x, Invalid Field at 1.x', () => {
    const bad: Attribute[] = [{ tag: Tag.State, value: enm(Tag.State, State.Active) }];
    const reason = (ver: { major: number; minor: number }) => {
      try {
        checkClientSuppliedAttributes(bad, ver);
        return undefined;
      } catch (e) {
        return (e as KmipError).reason;
      }
    };
    expect(reason(v(2, 1))).toBe(ResultReason.ReadOnlyAttribute);
    expect(reason(v(1, 4))).toBe(ResultReason.InvalidField);
    expect(() => checkClientSuppliedAttributes([{ tag: Tag.ActivationDate, value: dateTime(Tag.ActivationDate, 0n) }], v(2, 1))).not.toThrow();
    // The algorithm and length of a new key are the client's request, though the server records them.
    const inputs: Attribute[] = [
      { tag: Tag.CryptographicAlgorithm, value: enm(Tag.CryptographicAlgorithm, 3) },
      { tag: Tag.CryptographicLength, value: { type: 'Integer', tag: Tag.CryptographicLength, value: 128 } },
      { tag: Tag.CertificateType, value: enm(Tag.CertificateType, 1) },
    ];
    expect(() => checkClientSuppliedAttributes(inputs, v(1, 4))).not.toThrow();
    expect(reason(v(1, 0))).toBe(ResultReason.InvalidField);
    for (const tag of [Tag.UniqueIdentifier, Tag.InitialDate, Tag.LastChangeDate, Tag.Digest, Tag.DestroyDate, Tag.KeyValuePresent]) {
      expect(isCreationInput(attributeRuleForTag(tag)!), tagInfo(tag)!.name).toBe(false);
    }
  });
});
