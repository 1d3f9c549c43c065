/** Renders src/kmip/generated/tags.ts: the Tag table, TagInfo rows and tag lookups. */
import type { TagModel } from './model.js';
import { VERSIONS } from './model.js';
import { HEADER, hex, opt, str } from './render-util.js';

/** The text of tags.ts for the given tags (in tag order). */
export function renderTags(tags: TagModel[]): string {
  const entries = tags.map((t) => `  ${t.key}: ${hex(t.value, 6)},`).join('\n');
  const rows = tags
    .map(
      (t) =>
        `  [${str(t.key)}, ${str(t.spec)}, ${opt(t.itemType)}, ${str(t.span.since)}, ${opt(t.span.until)}, ${opt(t.enumeration)}, ${opt(t.mask)}],`,
    )
    .join('\n');
  const versioned = tags
    .filter((t) => t.itemTypeByVersion !== undefined)
    .map((t) => {
      const byV = t.itemTypeByVersion ?? {};
      const entries = VERSIONS.filter((v) => byV[v] !== undefined).map((v) => `${str(v)}: ${str(byV[v] as string)}`);
      return `  [${hex(t.value, 6)}, { ${entries.join(', ')} }],`;
    })
    .join('\n');
  return `${HEADER}
import type { ItemTypeName } from '../../ttlv/types.js';
import type { EnumName } from './enums.js';
import type { MaskName } from './masks.js';
import type { KmipVersion } from './versions.js';

/**
 * Tag values by CamelCase name: KMIP 1.x §9.1.3.1, KMIP 2.0 §11.54, KMIP 2.1 §11.56. Includes
 * the 1.x tags that 2.0 marks (Reserved), under their 1.x names.
 */
export const Tag = {
${entries}
} as const;

/** A CamelCase tag name. */
export type TagName = keyof typeof Tag;

/** What the spec says about one tag. */
export interface TagInfo {
  /** CamelCase name (KMIP Additional Message Encodings §4.1.3). */
  readonly name: TagName;
  /** The name as printed in the spec (latest version that defines it). */
  readonly spec: string;
  /**
   * Item type from the spec's structure tables or the OASIS XML vectors; absent when it varies
   * with use (Key Value, Attribute Value) or by version (see tagItemType).
   */
  readonly itemType?: ItemTypeName;
  /** First version that defines the tag. */
  readonly since: KmipVersion;
  /** Last version that defines the tag, when a later version removed (reserved) it. */
  readonly until?: KmipVersion;
  /** Enumeration carried by the tag; 'Tag' means the values are tag numbers (Attribute Reference). */
  readonly enumeration?: EnumName | 'Tag';
  /** Bit mask carried by the tag (an Integer). */
  readonly mask?: MaskName;
}

type Row = readonly [TagName, string, ItemTypeName | null, KmipVersion, KmipVersion | null, EnumName | 'Tag' | null, MaskName | null];

const ROWS: readonly Row[] = [
${rows}
];

function toInfo([name, spec, itemType, since, until, enumeration, mask]: Row): TagInfo {
  return {
    name,
    spec,
    since,
    ...(itemType === null ? {} : { itemType }),
    ...(until === null ? {} : { until }),
    ...(enumeration === null ? {} : { enumeration }),
    ...(mask === null ? {} : { mask }),
  };
}

const BY_VALUE: ReadonlyMap<number, TagInfo> = new Map(ROWS.map((r) => [Tag[r[0]], toInfo(r)]));
const BY_SPEC: ReadonlyMap<string, number> = new Map(ROWS.map((r) => [r[1], Tag[r[0]]]));

/** What the spec says about a tag number, or undefined for unknown and extension tags. */
export function tagInfo(tag: number): TagInfo | undefined {
  return BY_VALUE.get(tag);
}

/** Tag number for a CamelCase name, or undefined. */
export function tagByName(name: string): number | undefined {
  return Object.hasOwn(Tag, name) ? Tag[name as TagName] : undefined;
}

/** Tag number for a name as the spec prints it (e.g. a 1.x Attribute Name "Cryptographic Algorithm"). */
export function tagBySpecName(spec: string): number | undefined {
  return BY_SPEC.get(spec);
}

/** Tags whose item type changed between versions (e.g. Asynchronous Indicator: 1.x Boolean, 2.x Enumeration). */
const VERSIONED_ITEM_TYPES: ReadonlyMap<number, Readonly<Partial<Record<KmipVersion, ItemTypeName>>>> = new Map([
${versioned}
]);

/**
 * The item type of a tag in a given version: TagInfo.itemType, or the version's type for the
 * tags whose type changed between versions. Undefined when unknown or when it varies by use.
 */
export function tagItemType(tag: number, version: KmipVersion): ItemTypeName | undefined {
  return VERSIONED_ITEM_TYPES.get(tag)?.[version] ?? BY_VALUE.get(tag)?.itemType;
}

/** Every known tag, in tag order. */
export function allTags(): TagInfo[] {
  return [...BY_VALUE.values()];
}
`;
}
