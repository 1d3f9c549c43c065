import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENUM_SPEC, MASK_SPEC, allTags, enumValueInfo, maskBitInfo, versionInSpan, type EnumName, type MaskName } from '../src/kmip/generated/index.js';

// An independent extraction of the KMIP 2.1 tables (sections 11 and 12), kept beside the
// repository. Every value it lists must be in the generated tables, defined in 2.1, with the
// same spec name.
const REFERENCE =
  process.env['KMIP_REFERENCE'] ??
  join(import.meta.dirname, '..', '..', 'shared', 'reference', 'kmip-2.1-enumerations-and-tags.md');

/** Section title (without " Enumeration") -> value -> printed name. */
function readReference(text: string): Map<string, Map<number, string>> {
  const out = new Map<string, Map<number, string>>();
  let current: Map<number, string> | undefined;
  for (const line of text.split('\n')) {
    const h = /^## (?:1[12]\.\d+ )(.*?)(?: Enumeration)?$/.exec(line);
    if (h?.[1] !== undefined) {
      out.set(h[1], (current = new Map()));
      continue;
    }
    if (line.startsWith('## ')) current = undefined;
    const row = /^\| (.*?) \| ([0-9A-F]{6,8}) \|$/.exec(line);
    if (current !== undefined && row?.[1] !== undefined && row[2] !== undefined && !/^\((Reserved|Unused)\)$/.test(row[1])) {
      current.set(parseInt(row[2], 16), row[1]);
    }
  }
  return out;
}

describe.skipIf(!existsSync(REFERENCE))('generated tables against the KMIP 2.1 reference extraction', () => {
  const ref = readReference(existsSync(REFERENCE) ? readFileSync(REFERENCE, 'utf8') : '');
  const enumBySpec = new Map(Object.entries(ENUM_SPEC).map(([k, v]) => [v.spec, k as EnumName]));
  const maskBySpec = new Map(Object.entries(MASK_SPEC).map(([k, v]) => [v.spec, k as MaskName]));
  const tagsByValue = new Map(allTags().map((t) => [t.spec, t]));

  it('reads the reference', () => {
    expect(ref.size).toBeGreaterThan(60);
  });

  it('has every 2.1 tag', () => {
    const problems: string[] = [];
    for (const [value, name] of ref.get('Tag') ?? []) {
      const t = tagsByValue.get(name);
      if (t === undefined || !versionInSpan('2.1', t.since, t.until)) problems.push(`${name} ${value.toString(16)}`);
    }
    expect(problems).toEqual([]);
  });

  it('has every 2.1 enumeration value and mask bit with the same name', () => {
    const problems: string[] = [];
    for (const [section, values] of ref) {
      if (section === 'Tag') continue;
      const e = enumBySpec.get(section);
      const m = maskBySpec.get(section);
      if (e === undefined && m === undefined) {
        problems.push(`no table ${section}`);
        continue;
      }
      for (const [value, name] of values) {
        const info = e !== undefined ? enumValueInfo(e, value) : maskBitInfo(m as MaskName, value);
        if (info === undefined || info.spec !== name || !versionInSpan('2.1', info.since, info.until)) {
          problems.push(`${section} ${value.toString(16)} ${name} -> ${info?.spec}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
