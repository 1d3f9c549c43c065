import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kmipDictionary as dict } from './dictionary.js';
import { Tag, tagBySpecName } from './generated/index.js';

// The OASIS vectors live beside the repository (CONVENTIONS.md §7); KMIP_TESTCASES overrides.
const VECTORS = process.env['KMIP_TESTCASES'] ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'kmip-testcases');

function xmlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return xmlFiles(p);
    return e.endsWith('.xml') ? [p] : [];
  });
}

interface Problem {
  file: string;
  what: string;
}

/**
 * Scan one vector file: element names must be tags; Enumeration values and mask names must
 * resolve in the context of their tag. A 1.x AttributeValue takes its meaning from the
 * AttributeName before it (KMIP 1.4 §2.1.1), so the scan remembers the last AttributeName.
 */
function scan(file: string, text: string, problems: Problem[]): number {
  let checked = 0;
  let attributeName: string | undefined;
  const body = text.replace(/<!--[\s\S]*?-->/g, '');
  for (const m of body.matchAll(/<([A-Za-z_]\w*)((?:\s+\w+="[^"]*")*)\s*\/?>/g)) {
    const name = m[1] as string;
    const attrs = m[2] ?? '';
    // Wrappers of the vector files (Cosmian's 1.0-1.2 extraction uses KmipTestCase), not TTLV.
    if (name === 'KMIP' || name === 'TTLV' || name === 'KmipTestCase') continue;
    const tag = dict.tagByName(name);
    checked++;
    if (tag === undefined) {
      problems.push({ file, what: `unknown tag ${name}` });
      continue;
    }
    const type = /\btype="(\w+)"/.exec(attrs)?.[1];
    const value = /\bvalue="([^"]*)"/.exec(attrs)?.[1];
    if (tag === Tag.AttributeName) attributeName = value;
    if (value === undefined || value.startsWith('$')) continue;
    const needsContext = type === 'Enumeration' || (type === 'Integer' && /[A-Za-z]/.test(value));
    let context = tag;
    if (tag === Tag.AttributeValue && needsContext) {
      // Custom attributes ("x-..." / "y-...") carry no spec enumeration.
      if (attributeName === undefined || /^[xy]-/.test(attributeName)) continue;
      const t = tagBySpecName(attributeName);
      if (t === undefined) {
        problems.push({ file, what: `unknown attribute name "${attributeName}"` });
        continue;
      }
      context = t;
    }
    if (type === 'Enumeration' && !/^0x[0-9a-fA-F]+$/.test(value)) {
      if (dict.enumValue(context, value) === undefined) {
        problems.push({ file, what: `enumeration ${name}(${dict.tagName(context)})="${value}"` });
      }
    } else if (type === 'Integer' && /[A-Za-z]/.test(value) && !/^-?0x[0-9a-fA-F]+$/.test(value)) {
      for (const token of value.trim().split(/\s+/)) {
        if (/^0x[0-9a-fA-F]+$/.test(token)) continue;
        if (dict.maskBit(context, token) === undefined) {
          problems.push({ file, what: `mask ${name}(${dict.tagName(context)}) bit "${token}"` });
        }
      }
    }
  }
  return checked;
}

describe.skipIf(!existsSync(VECTORS))('kmipDictionary against the OASIS XML vectors', () => {
  it('resolves every tag, enumeration value and mask name in every vector file', () => {
    const files = xmlFiles(VECTORS);
    expect(files.length).toBeGreaterThan(700);
    const problems: Problem[] = [];
    let checked = 0;
    for (const f of files) checked += scan(f.slice(VECTORS.length + 1), readFileSync(f, 'utf8'), problems);
    expect(checked).toBeGreaterThan(100_000);
    const distinct = [...new Set(problems.map((p) => p.what))].sort();
    expect(distinct).toEqual([]);
  });
});

describe('kmipDictionary', () => {
  it('maps tags and names both ways', () => {
    expect(dict.tagByName('RequestMessage')).toBe(0x420078);
    expect(dict.tagName(0x420078)).toBe('RequestMessage');
    expect(dict.tagName(0x540001)).toBeUndefined();
    expect(dict.tagByName('NoSuchTag')).toBeUndefined();
    expect(dict.tagByName('toString')).toBeUndefined();
  });

  it('resolves enumerations in the context of the carrying tag', () => {
    expect(dict.enumValue(Tag.ObjectType, 'SymmetricKey')).toBe(2);
    expect(dict.enumName(Tag.ObjectType, 2)).toBe('SymmetricKey');
    expect(dict.enumValue(Tag.Operation, 'DiscoverVersions')).toBe(0x1e);
    expect(dict.enumValue(Tag.Operation, 'SymmetricKey')).toBeUndefined();
    expect(dict.enumValue(Tag.RequestMessage, 'SymmetricKey')).toBeUndefined();
    expect(dict.enumValue(Tag.MaskGeneratorHashingAlgorithm, 'SHA_256')).toBe(6);
    // KMIP 2.x: a Unique Identifier may be a Unique Identifier Enumeration value.
    expect(dict.enumValue(Tag.UniqueIdentifier, 'IDPlaceholder')).toBe(1);
  });

  it('treats Attribute Reference values as tag names', () => {
    expect(dict.enumValue(Tag.AttributeReference, 'CryptographicAlgorithm')).toBe(0x420028);
    expect(dict.enumName(Tag.AttributeReference, 0x420028)).toBe('CryptographicAlgorithm');
  });

  it('resolves mask bits, including the 1.x-only ones', () => {
    expect(dict.maskBit(Tag.CryptographicUsageMask, 'Encrypt')).toBe(4);
    expect(dict.maskBit(Tag.CryptographicUsageMask, 'Export')).toBe(0x40);
    expect(dict.maskBit(Tag.StorageStatusMask, 'ArchivalStorage')).toBe(2);
    expect(dict.maskBit(Tag.ObjectType, 'Encrypt')).toBeUndefined();
    expect(dict.maskNames(Tag.CryptographicUsageMask, 0x0c | 0x8000_0000)).toEqual({
      names: ['Encrypt', 'Decrypt'],
      rest: 0x8000_0000,
    });
    expect(dict.maskNames(Tag.ObjectType, 1)).toBeUndefined();
  });
});
