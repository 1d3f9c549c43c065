/**
 * The OASIS KMIP test-case messages (../shared/kmip-testcases, loaded through the XML codec) as
 * binary: every message encodes, decodes back to the same tree, re-encodes byte-identically,
 * and survives the framer when a whole file's messages arrive as one stream in odd-sized chunks.
 * The XML codec is independent of the binary one, so this cross-checks both on ~10k real shapes.
 */
import { describe, expect, it } from 'vitest';
import { kmipDictionary } from '../src/kmip/dictionary.js';
import { decodeTtlv } from '../src/ttlv/decode.js';
import { encodeTtlv } from '../src/ttlv/encode.js';
import { TtlvFramer } from '../src/ttlv/framer.js';
import { loadOasisCorpus } from './helpers/oasis.js';

const corpus = loadOasisCorpus(kmipDictionary);

describe('OASIS test-case messages through the binary codec', () => {
  it('loads a substantial corpus', () => {
    expect(corpus.messages.length).toBeGreaterThan(1000);
  });

  it('every message round-trips: tree -> bytes -> same tree -> same bytes', () => {
    const failures: string[] = [];
    for (const m of corpus.messages) {
      const bytes = encodeTtlv(m.node);
      const back = decodeTtlv(bytes);
      try {
        expect(back).toEqual(m.node);
        expect(encodeTtlv(back).equals(bytes)).toBe(true);
      } catch {
        failures.push(`${m.file}#${m.index}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('each file, streamed through the framer in 7-byte chunks, yields its messages in order', () => {
    const byFile = new Map<string, Buffer[]>();
    for (const m of corpus.messages) {
      const list = byFile.get(m.file) ?? [];
      list.push(encodeTtlv(m.node));
      byFile.set(m.file, list);
    }
    for (const [file, frames] of byFile) {
      const stream = Buffer.concat(frames);
      const f = new TtlvFramer();
      const out: Buffer[] = [];
      for (let i = 0; i < stream.length; i += 7) out.push(...f.push(stream.subarray(i, i + 7)));
      expect(out.length, file).toBe(frames.length);
      out.forEach((o, i) => expect(o.equals(frames[i]!), `${file}#${i}`).toBe(true));
    }
  });
});
