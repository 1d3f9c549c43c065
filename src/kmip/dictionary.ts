/**
 * The KMIP implementation of the TTLV layer's name dictionary (src/ttlv/dictionary.ts), built
 * from the generated spec tables. The XML and JSON encodings (KMIP Additional Message
 * Encodings §4, §6) use it to turn tag, enumeration and mask names into numbers and back.
 */
import type { TtlvDictionary } from '../ttlv/dictionary.js';
import {
  enumName as enumNameOf,
  enumValue as enumValueOf,
  maskBit as maskBitOf,
  maskNames as maskNamesOf,
  tagByName,
  tagInfo,
  type EnumName,
  type MaskName,
} from './generated/index.js';

/** The enumeration a tag carries ('Tag' for Attribute Reference), or undefined. */
function enumerationOf(tag: number): EnumName | 'Tag' | undefined {
  return tagInfo(tag)?.enumeration;
}

function maskOf(tag: number): MaskName | undefined {
  return tagInfo(tag)?.mask;
}

/** Tag name <-> number, enumeration names in the context of the carrying tag, mask bits. */
export const kmipDictionary: TtlvDictionary = {
  tagByName(name: string): number | undefined {
    return tagByName(name);
  },

  tagName(tag: number): string | undefined {
    return tagInfo(tag)?.name;
  },

  enumValue(tag: number, name: string): number | undefined {
    const e = enumerationOf(tag);
    if (e === undefined) return undefined;
    // KMIP 2.0 §7.3: an Attribute Reference enumeration's values are tag numbers.
    if (e === 'Tag') return tagByName(name);
    return enumValueOf(e, name);
  },

  enumName(tag: number, value: number): string | undefined {
    const e = enumerationOf(tag);
    if (e === undefined) return undefined;
    if (e === 'Tag') return tagInfo(value)?.name;
    return enumNameOf(e, value);
  },

  maskBit(tag: number, name: string): number | undefined {
    const m = maskOf(tag);
    return m === undefined ? undefined : maskBitOf(m, name);
  },

  maskNames(tag: number, value: number): { names: string[]; rest: number } | undefined {
    const m = maskOf(tag);
    return m === undefined ? undefined : maskNamesOf(m, value);
  },
};
