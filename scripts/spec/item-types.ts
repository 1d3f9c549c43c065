/**
 * Item types for tags, for the offline extractor: votes from the specification's structure and
 * attribute tables ("Object | Encoding | ..." / "Item | Encoding"), and the types actually used
 * in the OASIS XML test vectors.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Block } from './html-blocks.js';

/** Item type names as in the XML / JSON encodings (KMIP 2.1 §11.23). */
export type ItemTypeName =
  | 'Structure'
  | 'Integer'
  | 'LongInteger'
  | 'BigInteger'
  | 'Enumeration'
  | 'Boolean'
  | 'TextString'
  | 'ByteString'
  | 'DateTime'
  | 'Interval'
  | 'DateTimeExtended';

const PATTERNS: [RegExp, ItemTypeName][] = [
  [/^date[- ]?time[- ]extended/i, 'DateTimeExtended'],
  [/^date[- ]?time/i, 'DateTime'],
  [/^long[- ]?integer/i, 'LongInteger'],
  [/^big[- ]?integer/i, 'BigInteger'],
  [/^integer/i, 'Integer'],
  [/^enumeration/i, 'Enumeration'],
  [/^boolean/i, 'Boolean'],
  [/^text[- ]?string/i, 'TextString'],
  [/^byte[- ]?string/i, 'ByteString'],
  [/^interval/i, 'Interval'],
  [/^structure/i, 'Structure'],
];

/** The item type an Encoding cell names, or undefined when it says "Varies" or lists several. */
export function encodingType(cell: string): ItemTypeName | undefined {
  // "Byte String: for wrapped Key Value; Structure: for plaintext" names two types: no vote.
  const types = new Set<ItemTypeName>();
  for (const part of cell.split(/[;:]/)) {
    const found = PATTERNS.find(([re]) => re.test(part.trim()));
    if (found !== undefined) types.add(found[1]);
  }
  const first = PATTERNS.find(([re]) => re.test(cell.trim()));
  return first !== undefined && types.size === 1 ? first[1] : undefined;
}

/** Spec name -> item type -> number of tables that give the name that type. */
export function itemTypeVotes(blocks: Block[]): Map<string, Map<ItemTypeName, number>> {
  const votes = new Map<string, Map<ItemTypeName, number>>();
  for (const b of blocks) {
    if (b.kind !== 'table') continue;
    let encCol = -1;
    for (const row of b.rows) {
      const idx = row.findIndex((c) => c === 'Encoding' || c === 'Type');
      if (idx > 0 && /^(Object|Item|Field)$/.test(row[0] ?? '')) {
        encCol = idx;
        continue;
      }
      if (encCol < 0) continue;
      const name = (row[0] ?? '').replace(/\s*\(deprecated[^)]*\)\s*$/i, '').trim();
      const t = encodingType(row[encCol] ?? '');
      if (name === '' || t === undefined) continue;
      let m = votes.get(name);
      if (m === undefined) votes.set(name, (m = new Map()));
      m.set(t, (m.get(t) ?? 0) + 1);
    }
  }
  return votes;
}

function xmlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...xmlFiles(p));
    else if (e.endsWith('.xml')) out.push(p);
  }
  return out;
}

/** Lower-cased alphanumeric element name -> item types seen for it in the XML vectors. */
export function scanVectorTypes(dir: string): Map<string, Set<string>> {
  const seen = new Map<string, Set<string>>();
  for (const f of xmlFiles(dir)) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/<([A-Za-z]\w*)(\s[^>]*)?>/g)) {
      const name = m[1] as string;
      const attrs = m[2] ?? '';
      if (/^(KMIP|TestCase|TTLV)/.test(name) || name === 'RequestMessage' || name === 'ResponseMessage') continue;
      const t = /type="(\w+)"/.exec(attrs)?.[1] ?? 'Structure';
      const key = name.toLowerCase();
      let s = seen.get(key);
      if (s === undefined) seen.set(key, (s = new Set()));
      s.add(t);
    }
  }
  return seen;
}
