/**
 * What the text encodings (JSON, XML; KMIP Additional Message Encodings §4, §6) need to know about
 * names. The TTLV layer imports nothing of ours, so the KMIP layer supplies an implementation
 * built from the generated spec tables (src/kmip/dictionary.ts).
 */
export interface TtlvDictionary {
  /** Tag number for a normalised CamelCase tag name (e.g. "RequestMessage"), or undefined. */
  tagByName(name: string): number | undefined;
  /** Normalised CamelCase name of a tag, or undefined for unknown / extension tags. */
  tagName(tag: number): string | undefined;
  /**
   * The enumeration value for a CamelCase name, in the context of the tag that carries it
   * (e.g. tag ObjectType, "SymmetricKey" -> 2). `AttributeReference` enumerations resolve
   * against tag names. Undefined when the name is not known for that tag.
   */
  enumValue(tag: number, name: string): number | undefined;
  /** The CamelCase name of an enumeration value carried by `tag`, or undefined. */
  enumName(tag: number, value: number): string | undefined;
  /** For Integer tags that are bit masks (e.g. CryptographicUsageMask): bit value by name. */
  maskBit(tag: number, name: string): number | undefined;
  /** For mask tags: the names for the bits of `value`, leftover bits returned as `rest`. */
  maskNames(tag: number, value: number): { names: string[]; rest: number } | undefined;
}
