import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, SPEC_DIR, staleFiles } from '../scripts/gen-spec.js';
import {
  BatchErrorContinuationOption,
  CryptographicAlgorithm,
  CryptographicUsageMask,
  ENUMERATIONS,
  KeyFormatType,
  KMIP_VERSIONS,
  LinkType,
  NameType,
  ObjectType,
  Operation,
  ProtectionStorageMask,
  QueryFunction,
  ResultReason,
  ResultStatus,
  State,
  StorageStatusMask,
  Tag,
  UniqueIdentifierEnum,
  allTags,
  enumName,
  enumValue,
  enumValueInfo,
  isEnumValueInVersion,
  isTagInVersion,
  maskBitsInVersion,
  kmipVersionOf,
  maskBit,
  maskBitInfo,
  maskNames,
  tagByName,
  tagBySpecName,
  tagInfo,
  tagItemType,
  versionAtLeast,
} from '../src/kmip/generated/index.js';

// Expected values below are read from the spec tables (KMIP 2.1 §11, §12; KMIP 1.4 §9.1.3),
// not from spec/*.json, so a broken extraction or generator shows up here.
describe('generated tags', () => {
  it('has the spec values', () => {
    expect(Tag.RequestMessage).toBe(0x420078);
    expect(Tag.ActivationDate).toBe(0x420001);
    expect(Tag.BatchItem).toBe(0x42000f);
    expect(Tag.Name).toBe(0x420053);
    expect(Tag.UniqueIdentifier).toBe(0x420094);
    expect(Tag.ProtocolVersion).toBe(0x420069);
  });

  it('names 0x420169 Constraint (2.1 only) and knows the 2.1 rotation tags', () => {
    expect(tagInfo(0x420169)).toMatchObject({ name: 'Constraint', spec: 'Constraint', since: '2.1' });
    expect(tagInfo(0x420169)?.until).toBeUndefined();
    // KMIP 2.1 §11.56 prints these with a 0x prefix.
    expect(tagInfo(0x42016a)?.name).toBe('RotateInterval');
  });

  it('keeps the 1.x tags that 2.0 reserved, until 1.4', () => {
    expect(tagInfo(Tag.AttributeIndex)).toMatchObject({ spec: 'Attribute Index', since: '1.0', until: '1.4', itemType: 'Integer' });
    expect(isTagInVersion(Tag.AttributeIndex, '1.4')).toBe(true);
    expect(isTagInVersion(Tag.AttributeIndex, '2.0')).toBe(false);
    expect(Tag.TemplateAttribute).toBe(0x420091);
    expect(Tag.CustomAttribute).toBe(0x42002d);
    expect(Tag.OperationPolicyName).toBe(0x42005d);
    expect(tagInfo(Tag.CertificateIdentifier)).toMatchObject({ since: '1.0', until: '1.4' });
  });

  it('records when tags appeared', () => {
    expect(tagInfo(Tag.Attributes)?.since).toBe('2.0');
    expect(isTagInVersion(Tag.Attributes, '1.4')).toBe(false);
    expect(tagInfo(Tag.AttestationType)?.since).toBe('1.2');
    expect(isTagInVersion(0x540001, '2.1')).toBe(false);
  });

  it('knows item types and carriers', () => {
    expect(tagInfo(Tag.ObjectType)).toMatchObject({ itemType: 'Enumeration', enumeration: 'ObjectType' });
    expect(tagInfo(Tag.CryptographicUsageMask)).toMatchObject({ itemType: 'Integer', mask: 'CryptographicUsageMask' });
    expect(tagInfo(Tag.AttributeReference)?.enumeration).toBe('Tag');
    expect(tagInfo(Tag.UniqueIdentifier)).toMatchObject({ itemType: 'TextString', enumeration: 'UniqueIdentifierEnum' });
    // Byte String when wrapped, Structure when plaintext (KMIP 1.4 §2.1.4): no single type.
    expect(tagInfo(Tag.KeyMaterial)?.itemType).toBeUndefined();
    expect(tagInfo(Tag.KeyValue)?.itemType).toBeUndefined();
    expect(tagItemType(Tag.AsynchronousIndicator, '1.4')).toBe('Boolean');
    expect(tagItemType(Tag.AsynchronousIndicator, '2.0')).toBe('Enumeration');
    expect(tagItemType(Tag.ExtensionType, '1.2')).toBe('Integer');
    expect(tagItemType(Tag.CryptographicLength, '1.0')).toBe('Integer');
    for (const t of ['KeyRoleType', 'CertificateType', 'Operation', 'ResultReason', 'QueryFunction', 'NameType', 'LinkType', 'State', 'RevocationReasonCode'] as const) {
      expect(tagInfo(Tag[t])?.enumeration).toBe(t);
    }
  });

  it('gives every Enumeration tag an enumeration and every mask tag an Integer type', () => {
    const enumTags = allTags().filter((t) => t.itemType === 'Enumeration');
    expect(enumTags.length).toBeGreaterThan(50);
    expect(enumTags.filter((t) => t.enumeration === undefined).map((t) => t.spec)).toEqual([]);
    const maskTags = allTags().filter((t) => t.mask !== undefined);
    expect(maskTags.map((t) => t.name).sort()).toEqual(['CryptographicUsageMask', 'ProtectionStorageMask', 'StorageStatusMask']);
    expect(maskTags.every((t) => t.itemType === 'Integer')).toBe(true);
  });

  it('looks tags up by CamelCase and spec name', () => {
    expect(tagByName('RequestMessage')).toBe(0x420078);
    expect(tagByName('hasOwnProperty')).toBeUndefined();
    expect(tagBySpecName('Cryptographic Algorithm')).toBe(0x420028);
    expect(tagBySpecName('Template-Attribute')).toBe(0x420091);
    const values = allTags().map((t) => Tag[t.name]);
    expect(new Set(values).size).toBe(values.length);
  });
});

describe('generated enumerations', () => {
  it('has the spec values', () => {
    expect(Operation.DiscoverVersions).toBe(0x1e);
    expect(Operation.ReKey).toBe(0x04);
    expect(Operation.CreateKeyPair).toBe(0x02);
    expect(ResultReason.ItemNotFound).toBe(1);
    expect(ResultReason.GeneralFailure).toBe(0x100);
    expect(ResultStatus.OperationFailed).toBe(1);
    expect(ObjectType.SymmetricKey).toBe(2);
    expect(ObjectType.Template).toBe(6);
    expect(CryptographicAlgorithm.AES).toBe(3);
    expect(CryptographicAlgorithm.DES3).toBe(2);
    expect(KeyFormatType.TransparentECPrivateKey).toBe(0x14);
    expect(KeyFormatType.PKCS_1).toBe(3);
    expect(State.PreActive).toBe(1);
    expect(QueryFunction.QueryOperations).toBe(1);
    expect(BatchErrorContinuationOption.Undo).toBe(3);
    expect(NameType.UninterpretedTextString).toBe(1);
    expect(LinkType.CertificateLink).toBe(0x101);
    expect(UniqueIdentifierEnum.IDPlaceholder).toBe(1);
  });

  it('keeps the 1.x result reasons with their last version', () => {
    expect(ResultReason.IllegalOperation).toBe(0x0b);
    expect(ResultReason.IndexOutOfBounds).toBe(0x0e);
    expect(enumValueInfo('ResultReason', 0x0b)).toMatchObject({ name: 'IllegalOperation', since: '1.0', until: '1.4' });
    expect(enumValueInfo('ResultReason', 0x19)).toMatchObject({ name: 'InvalidTicket', since: '2.0' });
    expect(enumValueInfo('ObjectType', 6)?.until).toBe('1.4');
    expect(isEnumValueInVersion('ObjectType', ObjectType.Template, '1.4')).toBe(true);
    expect(isEnumValueInVersion('ObjectType', ObjectType.Template, '2.0')).toBe(false);
    expect(isEnumValueInVersion('Operation', Operation.Ping, '2.0')).toBe(false);
    expect(isEnumValueInVersion('Operation', Operation.Ping, '2.1')).toBe(true);
  });

  it('looks values up both ways, including older spellings', () => {
    expect(enumName('Operation', 0x1e)).toBe('DiscoverVersions');
    expect(enumName('Operation', 0x7fff)).toBeUndefined();
    expect(enumValue('ResultReason', 'NotAuthorized')).toBe(0x39);
    expect(enumValue('ResultReason', 'NotAuthorised')).toBe(0x39);
    // 1.x printed "SHA-3-256"; 2.x prints "SHA3-256".
    expect(enumValue('HashingAlgorithm', 'SHA3_256')).toBe(0x0f);
    expect(enumValue('HashingAlgorithm', 'SHA_3_256')).toBe(0x0f);
    expect(enumValue('PKCS_11Function', 'C_Initialize')).toBe(1);
    expect(Object.keys(ENUMERATIONS).length).toBeGreaterThan(60);
  });
});

describe('generated masks', () => {
  it('has the spec bits, 1.x-only bits included', () => {
    expect(CryptographicUsageMask.Sign).toBe(1);
    expect(CryptographicUsageMask.Export).toBe(0x40);
    expect(CryptographicUsageMask.FPEDecrypt).toBe(0x800000);
    expect(maskBitInfo('CryptographicUsageMask', 0x40)).toMatchObject({ name: 'Export', since: '1.0', until: '1.4' });
    expect(maskBitInfo('CryptographicUsageMask', 0x100000)).toMatchObject({ name: 'Authenticate', since: '2.0' });
    expect(StorageStatusMask.OnLineStorage).toBe(1);
    expect(ProtectionStorageMask.SameJurisdiction).toBe(0x2000);
    expect(maskBit('CryptographicUsageMask', 'ContentCommitmentNonRepudiation')).toBe(0x400);
  });

  it('knows which bits each version defines', () => {
    expect(maskBitsInVersion('CryptographicUsageMask', '1.4')).toBe(0x000fffff);
    expect(maskBitsInVersion('CryptographicUsageMask', '2.1')).toBe(0x00ffffff & ~0x000fc440);
    expect(maskBitsInVersion('StorageStatusMask', '1.0')).toBe(0x3);
    expect(maskBitsInVersion('StorageStatusMask', '2.0')).toBe(0x7);
  });

  it('splits a value into names and leftover bits', () => {
    expect(maskNames('CryptographicUsageMask', 0x0c)).toEqual({ names: ['Encrypt', 'Decrypt'], rest: 0 });
    expect(maskNames('StorageStatusMask', -1)).toEqual({
      names: ['OnLineStorage', 'ArchivalStorage', 'DestroyedStorage'],
      rest: 0xfffffff8,
    });
  });
});

describe('versions', () => {
  it('orders versions', () => {
    expect(KMIP_VERSIONS).toEqual(['1.0', '1.1', '1.2', '1.3', '1.4', '2.0', '2.1']);
    expect(versionAtLeast('2.0', '1.4')).toBe(true);
    expect(versionAtLeast('1.4', '2.0')).toBe(false);
    expect(kmipVersionOf(1, 4)).toBe('1.4');
    expect(kmipVersionOf(3, 0)).toBeUndefined();
  });
});

describe('generated files', () => {
  it('are what scripts/gen-spec.ts produces from spec/ (npm run check:spec)', () => {
    expect(staleFiles()).toEqual([]);
  });

  it('the check notices an edited, a missing and an extra file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmip-gen-'));
    try {
      expect(generate(SPEC_DIR, dir)).toContain('tags.ts');
      expect(staleFiles(SPEC_DIR, dir)).toEqual([]);
      appendFileSync(join(dir, 'enums.ts'), '// edited by hand\n');
      rmSync(join(dir, 'masks.ts'));
      writeFileSync(join(dir, 'old.ts'), '');
      expect(staleFiles(SPEC_DIR, dir).sort()).toEqual(['enums.ts', 'masks.ts', 'old.ts']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
