/**
 * Renders the generated TypeScript (src/kmip/generated/*.ts) from the spec model. Output is
 * deterministic: the same spec/ gives byte-identical files, which is what `--check` relies on.
 */
import type { GroupModel, SpecModel } from './model.js';
import { VERSIONS } from './model.js';
import { HEADER, hex, opt, str } from './render-util.js';
import { renderTags } from './render-tags.js';

function renderVersions(): string {
  return `${HEADER}
import { tagInfo } from './tags.js';

/** The KMIP protocol versions these tables cover, oldest first. */
export const KMIP_VERSIONS = [${VERSIONS.map(str).join(', ')}] as const;
/** A KMIP protocol version as "major.minor". */
export type KmipVersion = (typeof KMIP_VERSIONS)[number];

/** Position of a version in KMIP_VERSIONS (0 = 1.0). */
export function versionIndex(v: KmipVersion): number {
  return KMIP_VERSIONS.indexOf(v);
}

/** True when \`v\` is \`min\` or later. */
export function versionAtLeast(v: KmipVersion, min: KmipVersion): boolean {
  return versionIndex(v) >= versionIndex(min);
}

/** True when \`v\` lies in [since, until] (until absent: still defined in the latest version). */
export function versionInSpan(v: KmipVersion, since: KmipVersion, until?: KmipVersion): boolean {
  return versionAtLeast(v, since) && (until === undefined || versionAtLeast(until, v));
}

/** The KmipVersion for a Protocol Version (major, minor), or undefined if not covered. */
export function kmipVersionOf(major: number, minor: number): KmipVersion | undefined {
  return KMIP_VERSIONS.find((v) => v === \`\${major}.\${minor}\`);
}

/** True when the spec of version \`v\` defines \`tag\` (extension tags 0x54xxxx are never defined). */
export function isTagInVersion(tag: number, v: KmipVersion): boolean {
  const info = tagInfo(tag);
  return info !== undefined && versionInSpan(v, info.since, info.until);
}
`;
}

function renderGroups(groups: GroupModel[], kind: 'enum' | 'mask'): string {
  const width = 8;
  const consts = groups
    .map((g) => {
      const sections = VERSIONS.filter((v) => g.sections[v] !== undefined)
        .map((v) => `${v} §${g.sections[v] as string}`)
        .join(', ');
      const body = g.values.map((v) => `  ${v.key}: ${hex(v.value, width)},`).join('\n');
      return `/** ${g.spec}${kind === 'enum' ? ' Enumeration' : ''}: ${sections}. */
export const ${g.key} = {${body === '' ? '' : `\n${body}\n`}} as const;
export type ${g.key} = (typeof ${g.key})[keyof typeof ${g.key}];`;
    })
    .join('\n\n');
  const registryName = kind === 'enum' ? 'ENUMERATIONS' : 'MASKS';
  const typeName = kind === 'enum' ? 'EnumName' : 'MaskName';
  const rows = groups
    .map((g) => {
      const vals = g.values
        .map((v) => `    [${hex(v.value, width)}, ${str(v.key)}, ${str(v.spec)}, ${str(v.span.since)}, ${opt(v.span.until)}],`)
        .join('\n');
      return `  ${g.key}: [${vals === '' ? '' : `\n${vals}\n  `}],`;
    })
    .join('\n');
  const aliases = groups
    .filter((g) => g.values.some((v) => v.aliases.length > 0))
    .map((g) => {
      const a = g.values.flatMap((v) => v.aliases.map((al) => `${str(al)}: ${hex(v.value, width)}`));
      return `  ${g.key}: { ${a.join(', ')} },`;
    })
    .join('\n');
  const specs = groups
    .map((g) => {
      const s = VERSIONS.filter((v) => g.sections[v] !== undefined).map((v) => `${str(v)}: ${str(g.sections[v] as string)}`);
      return `  ${g.key}: { spec: ${str(g.spec)}, sections: { ${s.join(', ')} } },`;
    })
    .join('\n');
  return `${consts}

/** Every ${kind === 'enum' ? 'enumeration' : 'bit mask'}, by CamelCase name. */
export const ${registryName} = {
${groups.map((g) => `  ${g.key},`).join('\n')}
} as const;

/** The CamelCase name of a${kind === 'enum' ? 'n enumeration' : ' bit mask'}. */
export type ${typeName} = keyof typeof ${registryName};

/** [value, CamelCase name, spec name, since, until] */
type Row = readonly [number, string, string, KmipVersion, KmipVersion | null];

const ROWS: { readonly [K in ${typeName}]: readonly Row[] } = {
${rows}
};

/** Older spellings (names a value had in earlier versions) that still resolve. */
const ALIASES: { readonly [K in ${typeName}]?: Readonly<Record<string, number>> } = {
${aliases}
};

/** Spec name and section per version of each ${kind === 'enum' ? 'enumeration' : 'mask'}. */
export const ${kind === 'enum' ? 'ENUM_SPEC' : 'MASK_SPEC'}: {
  readonly [K in ${typeName}]: { readonly spec: string; readonly sections: Readonly<Partial<Record<KmipVersion, string>>> };
} = {
${specs}
};
`;
}

function renderEnums(groups: GroupModel[]): string {
  return `${HEADER}
import { versionInSpan, type KmipVersion } from './versions.js';

${renderGroups(groups, 'enum')}
/** What the spec says about one enumeration value. */
export interface EnumValueInfo {
  readonly value: number;
  /** CamelCase name (KMIP Additional Message Encodings §4.1.3). */
  readonly name: string;
  /** The name as printed in the latest version that defines the value. */
  readonly spec: string;
  readonly since: KmipVersion;
  /** Last version that defines the value, when a later version reserved it. */
  readonly until?: KmipVersion;
}

interface Lookup {
  byValue: Map<number, EnumValueInfo>;
  byName: Map<string, number>;
}
const cache = new Map<EnumName, Lookup>();

function lookup(e: EnumName): Lookup {
  let l = cache.get(e);
  if (l === undefined) {
    l = { byValue: new Map(), byName: new Map() };
    for (const [value, name, spec, since, until] of ROWS[e]) {
      l.byValue.set(value, { value, name, spec, since, ...(until === null ? {} : { until }) });
      l.byName.set(name, value);
    }
    for (const [alias, value] of Object.entries(ALIASES[e] ?? {})) l.byName.set(alias, value);
    cache.set(e, l);
  }
  return l;
}

/** Name and version span of an enumeration value, or undefined when the spec does not define it. */
export function enumValueInfo(enumeration: EnumName, value: number): EnumValueInfo | undefined {
  return lookup(enumeration).byValue.get(value);
}

/** CamelCase name of an enumeration value, or undefined. */
export function enumName(enumeration: EnumName, value: number): string | undefined {
  return lookup(enumeration).byValue.get(value)?.name;
}

/** Value for a CamelCase name (current or an older spelling), or undefined. */
export function enumValue(enumeration: EnumName, name: string): number | undefined {
  return lookup(enumeration).byName.get(name);
}

/** True when the spec of \`version\` defines the value (e.g. not ObjectType.Template in 2.0). */
export function isEnumValueInVersion(enumeration: EnumName, value: number, version: KmipVersion): boolean {
  const info = lookup(enumeration).byValue.get(value);
  return info !== undefined && versionInSpan(version, info.since, info.until);
}
`;
}

function renderMasks(groups: GroupModel[]): string {
  return `${HEADER}
import { versionInSpan, type KmipVersion } from './versions.js';

${renderGroups(groups, 'mask')}
/** What the spec says about one mask bit. */
export interface MaskBitInfo {
  readonly bit: number;
  readonly name: string;
  readonly spec: string;
  readonly since: KmipVersion;
  /** Last version that defines the bit, when 2.0 reserved it (e.g. Export, 0x40). */
  readonly until?: KmipVersion;
}

/** Name and version span of one bit of a mask, or undefined. */
export function maskBitInfo(mask: MaskName, bit: number): MaskBitInfo | undefined {
  const row = ROWS[mask].find((r) => r[0] === bit);
  if (row === undefined) return undefined;
  const [, name, spec, since, until] = row;
  return { bit, name, spec, since, ...(until === null ? {} : { until }) };
}

/** The bit for a CamelCase bit name (current or older spelling), or undefined. */
export function maskBit(mask: MaskName, name: string): number | undefined {
  const aliases = ALIASES[mask];
  return ROWS[mask].find((r) => r[1] === name)?.[0] ?? (aliases !== undefined && Object.hasOwn(aliases, name) ? aliases[name] : undefined);
}

/** Split a mask value into known bit names (low bits first) and the leftover bits. */
export function maskNames(mask: MaskName, value: number): { names: string[]; rest: number } {
  let rest = value >>> 0;
  const names: string[] = [];
  for (const [bit, name] of ROWS[mask]) {
    if ((rest & bit) >>> 0 === bit) {
      names.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  return { names, rest };
}

/** The bits that the spec of \`version\` defines for a mask (2.x: without the 1.x-only bits). */
export function maskBitsInVersion(mask: MaskName, version: KmipVersion): number {
  let bits = 0;
  for (const [bit, , , since, until] of ROWS[mask]) {
    if (versionInSpan(version, since, until ?? undefined)) bits = (bits | bit) >>> 0;
  }
  return bits;
}
`;
}

/** All generated files, by file name. */
export function renderAll(model: SpecModel): Map<string, string> {
  return new Map([
    ['versions.ts', renderVersions()],
    ['tags.ts', renderTags(model.tags)],
    ['enums.ts', renderEnums(model.enums)],
    ['masks.ts', renderMasks(model.masks)],
    [
      'index.ts',
      `${HEADER}
export * from './versions.js';
export * from './tags.js';
export * from './enums.js';
export * from './masks.js';
`,
    ],
  ]);
}
