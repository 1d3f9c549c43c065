/**
 * Every message of every OASIS XML test case (plus the OVH 1.0-1.2 transcriptions), through
 * every codec: XML -> tree -> TTLV bytes -> tree -> XML -> tree, and tree -> JSON -> tree. The
 * trees must be identical at each step. Placeholders are bound to fixed values
 * (test/helpers/oasis.ts `fixedPlaceholders`).
 */
import { describe, expect, it } from 'vitest';
import { kmipDictionary } from '../src/kmip/dictionary.js';
import { decodeTtlv } from '../src/ttlv/decode.js';
import { encodeTtlv } from '../src/ttlv/encode.js';
import { jsonToTtlv, ttlvToJson } from '../src/ttlv/json.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { ttlvToXml, xmlToTtlv } from '../src/ttlv/xml.js';
import { OASIS_SKIP, fixedPlaceholders, loadOasisCorpus, type OasisMessage } from './helpers/oasis.js';

const dict = kmipDictionary;
const corpus = loadOasisCorpus(dict);

/** A canonical text form of a tree: exact, and blind to Buffer-vs-Uint8Array differences. */
function canon(n: TtlvNode): string {
  const head = `${n.tag.toString(16)}:${n.type}:`;
  switch (n.type) {
    case 'Structure':
      return `${head}[${n.value.map(canon).join(',')}]`;
    case 'ByteString':
      return head + Buffer.from(n.value).toString('hex');
    case 'TextString':
      return head + JSON.stringify(n.value);
    default:
      return head + String(n.value) + (typeof n.value === 'bigint' ? 'n' : '');
  }
}

/** Run one message through every step; return a description of the first difference, or ''. */
function roundTrip(m: OasisMessage): string {
  const want = canon(m.node);
  // The loader's per-message XML slice is the same message (the conformance runner reports it).
  if (canon(xmlToTtlv(m.xml, dict, { placeholder: fixedPlaceholders })) !== want) return 'the xml slice decodes differently';
  const bytes = encodeTtlv(m.node);
  const fromBytes = decodeTtlv(bytes);
  if (canon(fromBytes) !== want) return 'binary round trip changed the tree';
  const xml = ttlvToXml(fromBytes, dict);
  if (canon(xmlToTtlv(xml, dict)) !== want) return 'XML round trip changed the tree';
  const compact = ttlvToXml(fromBytes, dict, { indent: '', namespace: true });
  if (canon(xmlToTtlv(compact, dict)) !== want) return 'compact namespaced XML round trip changed the tree';
  const json = JSON.stringify(ttlvToJson(fromBytes, dict));
  if (canon(jsonToTtlv(json, dict)) !== want) return 'JSON round trip changed the tree';
  return '';
}

describe('OASIS test cases load', () => {
  it('every file outside the skip list decodes with the KMIP dictionary', () => {
    expect(corpus.failures).toEqual([]);
    expect(corpus.skipped).toEqual(Object.keys(OASIS_SKIP));
  });

  it('the corpus is all there (803 files, 9860 messages, requests and responses paired)', () => {
    // Fixed by the snapshot described in ../shared/kmip-testcases/README.md; a smaller number
    // means files went missing or a loader change dropped messages silently.
    expect(corpus.files).toBe(803);
    expect(corpus.messages.length).toBe(9860);
    const requests = corpus.messages.filter((m) => m.kind === 'request').length;
    expect(requests).toBe(4930);
    const bySet = (p: string): number => corpus.messages.filter((m) => m.file.startsWith(p)).length;
    expect(bySet('profiles/')).toBeGreaterThan(4000);
    expect(bySet('testcases/')).toBeGreaterThan(1500);
    expect(bySet('third-party/')).toBeGreaterThan(500);
  });
});

const byFile = new Map<string, OasisMessage[]>();
for (const m of corpus.messages) byFile.set(m.file, [...(byFile.get(m.file) ?? []), m]);

describe('OASIS message order', () => {
  it('requests and responses alternate, except in the one upstream file that lacks a response', () => {
    const odd = [...byFile].filter(([, ms]) => ms.some((m, i) => m.kind !== (i % 2 === 0 ? 'request' : 'response'))).map(([f]) => f);
    // TC-DERIVEKEY-4-10: the Destroy request (message 8) has no ResponseMessage after it (upstream).
    expect(odd).toEqual(['testcases/v1.4/TC-DERIVEKEY-4-10.xml']);
  });
});

describe('OASIS round trip: XML -> tree -> TTLV -> tree -> XML / JSON -> tree', () => {
  it.each([...byFile.keys()])('%s', (file) => {
    const problems: string[] = [];
    for (const m of byFile.get(file) ?? []) {
      const p = roundTrip(m);
      if (p !== '') problems.push(`message ${m.index} (${m.kind}): ${p}`);
    }
    expect(problems).toEqual([]);
  });
});
