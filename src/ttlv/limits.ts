/**
 * Named limits on what the decoder and framer accept. Each one bounds a resource an attacker
 * could otherwise make us spend in proportion to a number they choose. The wire format itself
 * allows lengths up to 4 GiB and unbounded nesting (KMIP 2.1 §10.1), so these are our policy.
 */

/**
 * Largest whole message (8-byte header + body) we buffer or decode: 16 MiB.
 *
 * Stops: a client declaring a length of up to 4 GiB in the header and making the framer reserve
 * (or wait for) that much memory per connection. 16 MiB still carries the largest objects a KMIP
 * server realistically stores (certificate chains, RSA-16384 keys, opaque blobs of a few MiB)
 * with ample headroom, while 100 connections at the limit stay within ~1.6 GiB.
 */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * Deepest Structure nesting accepted: 32 levels (the top-level item is depth 1).
 *
 * Stops: a "depth bomb" of nested empty Structures (8 bytes per level) driving a recursive
 * decoder or any recursive tree walk later in the pipeline into a stack overflow. The deepest
 * real KMIP 2.1 message shape (Request Message > Batch Item > Payload > Attributes > Attribute >
 * Key Block > Key Value > Key Material > ...) stays well under 16.
 */
export const MAX_DEPTH = 32;

/**
 * Most items (of any type, Structures included) in one message: 100 000.
 *
 * Stops: amplification. An empty item is 8 bytes on the wire but costs ~100 bytes as a JS
 * object, so a 16 MiB message of 2 M tiny items would become ~200 MB of heap and long GC pauses.
 * Real messages have tens to a few thousand items (a Locate response with many identifiers).
 */
export const MAX_ITEMS = 100_000;

/** The limits the codec enforces; override per listener if a deployment needs bigger objects. */
export interface TtlvLimits {
  /** See {@link MAX_MESSAGE_BYTES}. */
  readonly maxMessageBytes: number;
  /** See {@link MAX_DEPTH}. */
  readonly maxDepth: number;
  /** See {@link MAX_ITEMS}. */
  readonly maxItems: number;
}

/** The defaults above as one object. */
export const DEFAULT_LIMITS: TtlvLimits = Object.freeze({
  maxMessageBytes: MAX_MESSAGE_BYTES,
  maxDepth: MAX_DEPTH,
  maxItems: MAX_ITEMS,
});

/** Fill in missing fields of a partial override from the defaults. */
export function resolveLimits(limits?: Partial<TtlvLimits>): TtlvLimits {
  if (limits === undefined) return DEFAULT_LIMITS;
  return {
    maxMessageBytes: limits.maxMessageBytes ?? MAX_MESSAGE_BYTES,
    maxDepth: limits.maxDepth ?? MAX_DEPTH,
    maxItems: limits.maxItems ?? MAX_ITEMS,
  };
}
