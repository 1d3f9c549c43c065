import { describe, expect, it } from 'vitest';
import * as ttlv from './index.js';

describe('src/ttlv public API', () => {
  it('exposes the binary codec, framer, builders and limits', () => {
    const msg = ttlv.struct(0x420078, [ttlv.int(0x42000d, 1), ttlv.text(0x420094, 'id')]);
    const bytes = ttlv.encodeTtlv(msg);
    expect(ttlv.decodeTtlv(bytes)).toEqual(msg);
    expect(new ttlv.TtlvFramer().push(bytes)).toHaveLength(1);
    expect(ttlv.decodeTtlvHeader(bytes)).toEqual({ tag: 0x420078, type: ttlv.ItemType.Structure, length: bytes.length - 8 });
    expect(ttlv.DEFAULT_LIMITS).toEqual({
      maxMessageBytes: ttlv.MAX_MESSAGE_BYTES,
      maxDepth: ttlv.MAX_DEPTH,
      maxItems: ttlv.MAX_ITEMS,
    });
    expect(() => ttlv.decodeTtlv(bytes.subarray(0, 9))).toThrow(ttlv.TtlvError);
  });

  it('exposes the text encodings', () => {
    expect(typeof ttlv.xmlToTtlv).toBe('function');
    expect(typeof ttlv.ttlvToJson).toBe('function');
  });
});
