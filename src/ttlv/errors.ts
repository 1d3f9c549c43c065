/**
 * The one error type the codecs throw. Every malformed input, whatever the encoding, ends here;
 * the dispatcher turns it into a KMIP `Invalid Message` response (or closes the connection when
 * framing is lost). Messages never contain value bytes, only positions, tags and lengths.
 */
export type TtlvErrorCode =
  | 'TRUNCATED' // input ended inside an item
  | 'LENGTH_EXCEEDS_PARENT' // a child claims more bytes than its parent has left
  | 'BAD_LENGTH' // a fixed-width type with the wrong length, or a structure length not a multiple of 8
  | 'BAD_PADDING' // padding bytes are not zero
  | 'BAD_UTF8' // a Text String that is not valid UTF-8
  | 'UNKNOWN_TYPE' // a type byte outside 0x01-0x0B
  | 'BAD_TAG' // a tag outside 0x42xxxx / 0x54xxxx, or unknown name in JSON/XML
  | 'TRAILING_BYTES' // bytes after the top-level item
  | 'TOO_DEEP' // MAX_DEPTH exceeded
  | 'TOO_MANY_ITEMS' // MAX_ITEMS exceeded
  | 'TOO_LARGE' // MAX_MESSAGE_BYTES exceeded
  | 'BAD_VALUE' // a value out of range for its type (encoder), or unparsable text (JSON/XML)
  | 'BAD_SYNTAX'; // JSON / XML that is not well formed

export class TtlvError extends Error {
  override readonly name = 'TtlvError';
  constructor(
    readonly code: TtlvErrorCode,
    message: string,
    /** Byte offset (binary) or path (JSON/XML) where the problem was found. */
    readonly offset?: number,
    /** Tag of the item being read, when known. */
    readonly tag?: number,
  ) {
    super(message);
  }
}
