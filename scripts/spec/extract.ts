/**
 * Offline extractor: reads the OASIS KMIP specification HTML of every version (1.0 ... 2.1) and
 * writes spec/tags.json, spec/enumerations.json and spec/masks.json. CI never runs this (it has
 * no network and no copies of the HTML); it only regenerates TypeScript from the committed JSON.
 *
 * Usage: tsx scripts/spec/extract.ts <dir-with-v1.0.html..v2.1.html> [<kmip-testcases-dir>]
 * The HTML comes from github.com/Cosmian/kmip (v1.0/kmip-spec-1.0-os.html, ...).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeDocument, readBlocks, type Block } from './html-blocks.js';
import { itemTypeVotes, scanVectorTypes, type ItemTypeName } from './item-types.js';
import { applyErrata, ITEM_TYPE_OVERRIDES, VERSIONED_ITEM_TYPES } from './errata.js';

export const VERSIONS = ['1.0', '1.1', '1.2', '1.3', '1.4', '2.0', '2.1'] as const;
export type Version = (typeof VERSIONS)[number];

/** One value row of an enumeration, tag or mask table. */
export interface RawRow {
  name: string;
  value: number;
}
/** One value table as printed in one version of the spec. */
export interface RawTable {
  title: string;
  section: string;
  rows: RawRow[];
}

/** Tables whose heading changed between versions, mapped to the latest heading. */
const TITLE_ALIASES: Record<string, string> = {
  Tags: 'Tag',
  // KMIP 1.0/1.1 §9.1.3.2.5; renamed in 1.2.
  'Recommended Curve Enumeration for ECDSA, ECDH, and ECMQV': 'Recommended Curve',
};

// A value cell: hex, sometimes followed by a note, e.g. "420014 (deprecated as of version 1.1)".
const HEX = /^(?:0x)?([0-9A-Fa-f]{6,8})(?:\s+(.*))?$/;

/** The value tables (Name | Value) of one document, keyed by title (heading minus "Enumeration"). */
export function valueTables(blocks: Block[]): RawTable[] {
  const out: RawTable[] = [];
  let heading = '';
  let current: RawTable | undefined;
  for (const b of blocks) {
    if (b.kind === 'heading') {
      heading = b.text;
      current = undefined;
      continue;
    }
    if (b.kind === 'caption') {
      current = undefined;
      continue;
    }
    const rows = b.rows;
    const headerIdx = rows.findIndex(
      (r) => r.length >= 2 && /^(Name|Object)$/.test(r[0] ?? '') && /^(Tag )?Value$/.test(r[1] ?? ''),
    );
    if (headerIdx < 0 && current === undefined) continue;
    const body = headerIdx < 0 ? rows : rows.slice(headerIdx + 1);
    const parsed: RawRow[] = [];
    for (const r of body) {
      const m = HEX.exec((r[1] ?? '').trim());
      if (m?.[1] === undefined) continue;
      const note = m[2] !== undefined && /deprecated/i.test(m[2]) ? ` ${m[2].trim()}` : '';
      parsed.push({ name: (r[0] ?? '').trim() + note, value: parseInt(m[1], 16) });
    }
    if (current !== undefined) {
      current.rows.push(...parsed);
      continue;
    }
    const hm = /^([0-9.]+)\s+(.*)$/.exec(heading);
    const section = hm?.[1] ?? '';
    const headingTitle = (hm?.[2] ?? heading).replace(/\s+Enumeration$/, '');
    const title = TITLE_ALIASES[headingTitle] ?? headingTitle;
    current = { title, section, rows: parsed };
    out.push(current);
  }
  return out;
}

/** Per-version appearance of one entry. */
export interface VersionEntry {
  name: string;
  section: string;
}

interface MergedValue {
  value: number;
  versions: Partial<Record<Version, VersionEntry>>;
}

function isPlaceholder(name: string): boolean {
  return /^\((Reserved|Unused)\)$/i.test(name) || name === '' || /^Extensions?$/i.test(name);
}

/** Merge one table's rows across versions: value -> name and section per version. */
function mergeRows(perVersion: Partial<Record<Version, RawTable>>): MergedValue[] {
  const byValue = new Map<number, MergedValue>();
  for (const v of VERSIONS) {
    const t = perVersion[v];
    if (t === undefined) continue;
    for (const row of t.rows) {
      if (isPlaceholder(row.name)) continue;
      let e = byValue.get(row.value);
      if (e === undefined) byValue.set(row.value, (e = { value: row.value, versions: {} }));
      if (e.versions[v] === undefined) e.versions[v] = { name: row.name, section: t.section };
    }
  }
  return [...byValue.values()].sort((a, b) => a.value - b.value);
}

function hex(n: number, width: number): string {
  return '0x' + n.toString(16).toUpperCase().padStart(width, '0');
}

function latestName(m: MergedValue): string {
  const vs = VERSIONS.filter((v) => m.versions[v] !== undefined);
  const last = m.versions[vs[vs.length - 1] as Version] as VersionEntry;
  return last.name.replace(/\s*\(deprecated[^)]*\)\s*$/i, '').trim();
}

function main(): void {
  const [htmlDir, vectorsDir] = process.argv.slice(2);
  if (htmlDir === undefined) throw new Error('usage: extract.ts <html-dir> [<testcases-dir>]');
  const tables: Partial<Record<Version, RawTable[]>> = {};
  const votes: Partial<Record<Version, Map<string, Map<ItemTypeName, number>>>> = {};
  for (const v of VERSIONS) {
    const blocks = readBlocks(decodeDocument(readFileSync(join(htmlDir, `v${v}.html`))));
    tables[v] = applyErrata(v, valueTables(blocks));
    votes[v] = itemTypeVotes(blocks);
  }
  const vectorTypes = vectorsDir === undefined ? new Map<string, Set<string>>() : scanVectorTypes(vectorsDir);

  const isMask = (t: string): boolean => /Mask$/.test(t);
  const titles = new Set<string>();
  for (const v of VERSIONS) for (const t of tables[v] ?? []) titles.add(t.title);

  const pick = (title: string): Partial<Record<Version, RawTable>> => {
    const r: Partial<Record<Version, RawTable>> = {};
    for (const v of VERSIONS) {
      const t = (tables[v] ?? []).find((x) => x.title === title);
      if (t !== undefined) r[v] = t;
    }
    return r;
  };

  // Tags
  const tagRows = mergeRows(pick('Tag'));
  const tagsJson = tagRows.map((m) => {
    const name = latestName(m);
    const typed = resolveItemType(name, m, votes, vectorTypes);
    const conflict = specVoteConflict(name, m, votes);
    return {
      name,
      value: hex(m.value, 6),
      ...typed,
      ...(conflict === undefined ? {} : { itemTypeVotes: conflict }),
      versions: m.versions,
    };
  });

  const section = (p: Partial<Record<Version, RawTable>>): Partial<Record<Version, string>> => {
    const r: Partial<Record<Version, string>> = {};
    for (const v of VERSIONS) if (p[v] !== undefined) r[v] = (p[v] as RawTable).section;
    return r;
  };
  const group = (title: string): object => {
    const p = pick(title);
    return {
      name: title,
      sections: section(p),
      values: mergeRows(p).map((m) => ({ name: latestName(m), value: hex(m.value, 8), versions: m.versions })),
    };
  };
  const enums = [...titles].filter((t) => t !== 'Tag' && !isMask(t)).sort().map(group);
  const masks = [...titles].filter(isMask).sort().map(group);

  const header = {
    source:
      'OASIS KMIP Specification 1.0-2.1 OS HTML (github.com/Cosmian/kmip), extracted by scripts/spec/extract.ts; errata in scripts/spec/errata.ts',
  };
  writeFileSync('spec/tags.json', JSON.stringify({ ...header, tags: tagsJson }, null, 1) + '\n');
  writeFileSync('spec/enumerations.json', JSON.stringify({ ...header, enumerations: enums }, null, 1) + '\n');
  writeFileSync('spec/masks.json', JSON.stringify({ ...header, masks }, null, 1) + '\n');
}

/** The spec tables' votes for a tag when they name more than one item type (for review). */
function specVoteConflict(
  name: string,
  m: MergedValue,
  votes: Partial<Record<Version, Map<string, Map<ItemTypeName, number>>>>,
): Record<string, number> | undefined {
  const total: Record<string, number> = {};
  for (const v of VERSIONS) {
    if (m.versions[v] === undefined) continue;
    for (const [t, c] of votes[v]?.get(name) ?? []) total[t] = (total[t] ?? 0) + c;
  }
  return Object.keys(total).length > 1 ? total : undefined;
}

function resolveItemType(
  name: string,
  m: MergedValue,
  votes: Partial<Record<Version, Map<string, Map<ItemTypeName, number>>>>,
  vectorTypes: Map<string, Set<string>>,
): { itemType?: string; itemTypeByVersion?: Record<string, string>; itemTypeSource?: string } {
  const total = new Map<ItemTypeName, number>();
  for (const v of VERSIONS) {
    const e = m.versions[v];
    if (e === undefined) continue;
    for (const n of new Set([e.name.replace(/\s*\(deprecated[^)]*\)\s*$/i, ''), name])) {
      for (const [t, c] of votes[v]?.get(n) ?? []) total.set(t, (total.get(t) ?? 0) + c);
    }
  }
  const versioned = VERSIONED_ITEM_TYPES[name];
  if (versioned !== undefined) {
    const byVersion: Record<string, string> = {};
    for (const v of VERSIONS) if (m.versions[v] !== undefined) byVersion[v] = v.startsWith('1.') ? versioned.v1 : versioned.v2;
    return { itemTypeByVersion: byVersion, itemTypeSource: `manual: ${versioned.reason}` };
  }
  const manual = ITEM_TYPE_OVERRIDES[name];
  if (manual !== undefined) return { itemType: manual.type, itemTypeSource: `manual: ${manual.reason}` };
  const ranked = [...total.entries()].sort((a, b) => b[1] - a[1]);
  const key = name.replace(/[^A-Za-z0-9]/g, '').toLowerCase();
  const seen = vectorTypes.get(key);
  // The vectors send some tags with more than one type (Key Value, Key Material: Byte String
  // when wrapped, Structure otherwise): such a tag has no single item type.
  if (seen !== undefined && seen.size > 1) return { itemTypeSource: `varies (xml-vectors: ${[...seen].sort().join(', ')})` };
  if (seen !== undefined && seen.size === 1) {
    const t = [...seen][0] as string;
    // The vectors are the ground truth of what goes on the wire; prefer them when they agree
    // with the spec tables or when the tables say nothing.
    if (ranked.length === 0) return { itemType: t, itemTypeSource: 'xml-vectors' };
    if (ranked[0]?.[0] === t) return { itemType: t, itemTypeSource: 'spec+xml-vectors' };
    if (ranked.some(([rt, c]) => rt === t && c === ranked[0]?.[1])) return { itemType: t, itemTypeSource: 'spec+xml-vectors' };
    if (ranked.some(([rt]) => rt === t)) return { itemType: t, itemTypeSource: 'xml-vectors (spec tables disagree)' };
  }
  if (ranked.length === 0) return {};
  if (ranked.length > 1 && ranked[0]?.[1] === ranked[1]?.[1]) return { itemTypeSource: 'spec tables ambiguous' };
  return { itemType: ranked[0]?.[0] as string, itemTypeSource: 'spec' };
}

if (process.argv[1] !== undefined && /extract\.ts$/.test(process.argv[1])) main();
