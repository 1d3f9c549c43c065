/**
 * Public API of the TTLV layer: the generic tree, its errors and limits, the binary codec and
 * framer, and the XML and JSON encodings (KMIP Additional Message Encodings §4, §6).
 * KMIP 2.1 §10.1. Imports nothing outside src/ttlv (CONVENTIONS.md §1).
 */
export * from './types.js';
export { TtlvError, type TtlvErrorCode } from './errors.js';
export type { TtlvDictionary } from './dictionary.js';
export * from './build.js';
export { decodeTtlv, decodeTtlvHeader, isValidTag, HEADER_BYTES, type TtlvHeader } from './decode.js';
export { encodeTtlv } from './encode.js';
export { TtlvFramer, type TtlvFramerOptions } from './framer.js';
export * from './limits.js';
export {
  KMIP_XML_NAMESPACE,
  MAX_XML_CHARS,
  xmlToTtlv,
  xmlDocumentToTtlv,
  ttlvToXml,
  type XmlDecodeOptions,
  type XmlEncodeOptions,
} from './xml.js';
export { MAX_JSON_CHARS, jsonToTtlv, ttlvToJson, type JsonDecodeOptions } from './json.js';
export type { PlaceholderHook, TextDecodeOptions } from './text-values.js';
