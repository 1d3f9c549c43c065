/**
 * Loads spec/*.json and turns it into the model the generator renders: CamelCase keys (via the
 * same normaliser the codecs use), version spans, aliases for names that changed between
 * versions, and the tag -> enumeration / mask carriers. Throws on anything ambiguous, so a
 * table change that would make two names collide fails loudly instead of silently.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { camelCaseName } from '../../src/kmip/names.js';

export const VERSIONS = ['1.0', '1.1', '1.2', '1.3', '1.4', '2.0', '2.1'] as const;
export type Version = (typeof VERSIONS)[number];

/** First and (if removed before the latest version) last version that defines an entry. */
export interface Span {
  since: Version;
  until?: Version;
}

export interface ValueModel {
  key: string;
  spec: string;
  value: number;
  span: Span;
  /** Other CamelCase spellings (older spec names) that mean this value. */
  aliases: string[];
}
export interface GroupModel {
  key: string;
  spec: string;
  sections: Partial<Record<Version, string>>;
  values: ValueModel[];
}
export interface TagModel {
  key: string;
  spec: string;
  value: number;
  itemType?: string;
  /** Set instead of itemType when the type changed between versions. */
  itemTypeByVersion?: Partial<Record<Version, string>>;
  span: Span;
  enumeration?: string;
  mask?: string;
}
export interface SpecModel {
  tags: TagModel[];
  enums: GroupModel[];
  masks: GroupModel[];
}

interface JsonEntry {
  name: string;
  value: string;
  itemType?: string;
  itemTypeByVersion?: Partial<Record<Version, string>>;
  since?: Version;
  versions?: Partial<Record<Version, { name: string; section: string }>>;
}
interface JsonGroup {
  name: string;
  sections: Partial<Record<Version, string>>;
  values: JsonEntry[];
}

/** Export names that would clash with other exports of the KMIP layer or the TTLV layer. */
const GROUP_KEY_OVERRIDES: Record<string, string> = {
  // Tag.UniqueIdentifier is the tag; the 2.x enumeration of placeholders gets its own name.
  'Unique Identifier': 'UniqueIdentifierEnum',
  // src/ttlv/types.ts exports ItemType (the type byte codes); this is the same table as data.
  'Item Type': 'ItemTypeEnum',
};

const stripNote = (s: string): string => s.replace(/\s*\(deprecated[^)]*\)\s*$/i, '').trim();

function span(e: JsonEntry): Span {
  if (e.versions === undefined) return { since: e.since ?? '2.1' };
  const present = VERSIONS.filter((v) => e.versions?.[v] !== undefined);
  const first = present[0];
  const last = present[present.length - 1];
  if (first === undefined || last === undefined) throw new Error(`${e.name}: no versions`);
  // The extractor found no entry that disappears and comes back; the span model relies on it.
  if (present.length !== VERSIONS.indexOf(last) - VERSIONS.indexOf(first) + 1) {
    throw new Error(`${e.name}: versions have a gap (${present.join(',')})`);
  }
  return last === '2.1' ? { since: first } : { since: first, until: last };
}

/** spec/names.json: group spec name -> value spec name -> CamelCase key the vectors use. */
type NameOverrides = Record<string, Record<string, { key: string }>>;

function valuesOf(group: JsonGroup, overrides: NameOverrides): ValueModel[] {
  const out: ValueModel[] = [];
  const seen = new Map<string, ValueModel>();
  for (const e of group.values) {
    const normal = camelCaseName(stripNote(e.name));
    const key = overrides[group.name]?.[stripNote(e.name)]?.key ?? normal;
    const older = new Set(Object.values(e.versions ?? {}).map((x) => camelCaseName(stripNote(x.name))));
    older.add(normal);
    older.delete(key);
    const v: ValueModel = { key, spec: stripNote(e.name), value: parseInt(e.value, 16), span: span(e), aliases: [...older] };
    const clash = seen.get(key);
    if (clash !== undefined) throw new Error(`${group.name}: ${clash.spec} and ${v.spec} both normalise to ${key}`);
    seen.set(key, v);
    out.push(v);
  }
  // An alias must not shadow another value's key.
  for (const v of out) v.aliases = v.aliases.filter((a) => !seen.has(a));
  return out;
}

function readJson<T>(dir: string, file: string): T {
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as T;
}

/** Build the model from the JSON files in `dir` (normally spec/). */
export function loadModel(dir: string): SpecModel {
  const enumJson = [
    ...readJson<{ enumerations: JsonGroup[] }>(dir, 'enumerations.json').enumerations,
    ...readJson<{ enumerations: JsonGroup[] }>(dir, 'pkcs11.json').enumerations,
  ];
  const maskJson = readJson<{ masks: JsonGroup[] }>(dir, 'masks.json').masks;
  const tagJson = readJson<{ tags: JsonEntry[] }>(dir, 'tags.json').tags;
  const carriers = readJson<{
    enumerations: Record<string, { enumeration: string }>;
    masks: Record<string, { mask: string }>;
  }>(dir, 'carriers.json');

  const names = readJson<{ enumerations: NameOverrides; masks: NameOverrides }>(dir, 'names.json');
  const group = (g: JsonGroup, overrides: NameOverrides): GroupModel => ({
    key: GROUP_KEY_OVERRIDES[g.name] ?? camelCaseName(g.name),
    spec: g.name,
    sections: g.sections,
    values: valuesOf(g, overrides),
  });
  const enums = enumJson.map((g) => group(g, names.enumerations)).sort((a, b) => a.key.localeCompare(b.key));
  const masks = maskJson.map((g) => group(g, names.masks)).sort((a, b) => a.key.localeCompare(b.key));
  const enumBySpec = new Map(enums.map((e) => [e.spec, e]));
  const maskBySpec = new Map(masks.map((m) => [m.spec, m]));

  const tags: TagModel[] = [];
  const tagKeys = new Map<string, string>();
  for (const t of tagJson) {
    const key = camelCaseName(t.name);
    const prev = tagKeys.get(key);
    if (prev !== undefined) throw new Error(`tags ${prev} and ${t.name} both normalise to ${key}`);
    tagKeys.set(key, t.name);
    const m: TagModel = { key, spec: t.name, value: parseInt(t.value, 16), span: span(t) };
    if (t.itemType !== undefined) m.itemType = t.itemType;
    if (t.itemTypeByVersion !== undefined) m.itemTypeByVersion = t.itemTypeByVersion;
    const explicitEnum = carriers.enumerations[t.name]?.enumeration;
    if (explicitEnum === 'Tag') m.enumeration = 'Tag';
    else if (explicitEnum !== undefined) {
      const e = enumBySpec.get(explicitEnum);
      if (e === undefined) throw new Error(`carriers.json: no enumeration ${explicitEnum}`);
      m.enumeration = e.key;
    } else if (t.itemType === 'Enumeration' && enumBySpec.has(t.name)) {
      m.enumeration = enumBySpec.get(t.name)?.key;
    }
    const explicitMask = carriers.masks[t.name]?.mask;
    const mask = maskBySpec.get(explicitMask ?? t.name);
    if (explicitMask !== undefined && mask === undefined) throw new Error(`carriers.json: no mask ${explicitMask}`);
    if (mask !== undefined && (explicitMask !== undefined || t.itemType === 'Integer')) m.mask = mask.key;
    tags.push(m);
  }
  return { tags, enums, masks };
}
