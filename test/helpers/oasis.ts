/**
 * Loader for the OASIS KMIP XML test cases (and the OVH transcriptions of the 1.0-1.2 test
 * cases) kept beside the repository in `../shared/kmip-testcases` (see its README). Each file is
 * a root element (`<KMIP>` or `<KmipTestCase>`) holding alternating RequestMessage /
 * ResponseMessage elements in the KMIP XML encoding (ENC-1.0 §6).
 *
 * The round-trip tests use it now; the conformance runner reuses it with its own placeholder
 * hook to bind `$UNIQUE_IDENTIFIER_n`, `$NOW`, … to live values.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TtlvDictionary } from '../../src/ttlv/dictionary.js';
import type { PlaceholderHook } from '../../src/ttlv/text-values.js';
import type { TtlvNode } from '../../src/ttlv/types.js';
import { xmlDocumentToTtlv } from '../../src/ttlv/xml.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The test-case directory: `$KMIP_TESTCASES_DIR` if set, else `../shared/kmip-testcases`
 * relative to the repository (so a CI clone with shared/ beside it works).
 */
export const OASIS_DIR = process.env['KMIP_TESTCASES_DIR'] ?? resolve(REPO_ROOT, '..', 'shared', 'kmip-testcases');

/** The sub-directories that hold test-case XML files. */
export const OASIS_SETS = ['profiles', 'testcases', 'third-party/ovh-kmip-go'] as const;

/** Files not loaded, each with the reason. Paths are relative to {@link OASIS_DIR}, with "/". */
export const OASIS_SKIP: Readonly<Record<string, string>> = {
  'testcases/v1.4/TC-ECDSA-SIGN-1-14.xml': 'upstream defect: a duplicated </KMIP> end tag makes the file not well-formed XML',
};

/** One message of one test-case file. */
export interface OasisMessage {
  /** Path relative to {@link OASIS_DIR}, with "/". */
  readonly file: string;
  /** 0-based position of the message in its file. */
  readonly index: number;
  readonly kind: 'request' | 'response';
  readonly node: TtlvNode;
  /** The message's XML text exactly as in the file. */
  readonly xml: string;
  /** OVH transcriptions only: n of the last `# TIME n` line before the message (seconds into the case). */
  readonly time?: number;
}

/** A file that could not be loaded, with the codec's error message. */
export interface OasisFailure {
  readonly file: string;
  readonly error: string;
}

/** All test-case XML files (relative paths, sorted), skipped files included. */
export function listOasisFiles(dir: string = OASIS_DIR): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith('.xml')) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  for (const set of OASIS_SETS) {
    const d = join(dir, set);
    try {
      statSync(d);
    } catch {
      continue;
    }
    walk(d);
  }
  return out.sort();
}

const FIXED_NOW = 1_767_225_600n; // 2026-01-01T00:00:00Z

/**
 * A placeholder binding for tests that only need concrete, deterministic values: TextString
 * placeholders stay as their text; `$NOW` and `$NOW±n` are a fixed instant ± n seconds; Byte
 * String placeholders become the UTF-8 bytes of their own text (distinct per placeholder).
 */
export const fixedPlaceholders: PlaceholderHook = (text, type) => {
  if (type === 'DateTime') {
    const m = /^\$NOW(?:([+-])([0-9]{1,12}))?$/.exec(text);
    if (!m) return undefined;
    const delta = m[2] === undefined ? 0n : BigInt(m[2]);
    return m[1] === '-' ? FIXED_NOW - delta : FIXED_NOW + delta;
  }
  if (type === 'ByteString') return new Uint8Array(Buffer.from(text, 'utf8'));
  return undefined;
};

const MESSAGE_RE = /<(RequestMessage|ResponseMessage)\b[^>]*?(?:\/>|>[\s\S]*?<\/\1\s*>)/g;

/**
 * Load one file into its messages.
 * @throws TtlvError when the codec rejects the file; Error when messages and kinds disagree.
 */
export function loadOasisFile(file: string, dict: TtlvDictionary, placeholder: PlaceholderHook = fixedPlaceholders, dir: string = OASIS_DIR): OasisMessage[] {
  const text = readFileSync(join(dir, file), 'utf8');
  const nodes = xmlDocumentToTtlv(text, dict, { placeholder });
  // Blank out comments (same length, so indices still point into `text`): some files hold
  // commented-out messages.
  const masked = text.replace(/<!--[\s\S]*?-->/g, (c) => ' '.repeat(c.length));
  const times = [...masked.matchAll(/^[ \t]*# TIME ([0-9]+)[ \t]*$/gm)].map((m) => ({ at: m.index, n: Number(m[1]) }));
  const slices = [...masked.matchAll(MESSAGE_RE)].map((m) => ({
    kind: m[1] as string,
    xml: text.slice(m.index, m.index + m[0].length),
    time: times.filter((t) => t.at < m.index).pop()?.n,
  }));
  if (slices.length !== nodes.length) throw new Error(`${file}: ${nodes.length} messages decoded but ${slices.length} found in the text`);
  return nodes.map((node, index) => {
    const m = slices[index] as (typeof slices)[number];
    if (node.tag !== dict.tagByName(m.kind)) throw new Error(`${file}: message ${index} is not a ${m.kind}`);
    const kind = m.kind === 'RequestMessage' ? 'request' : 'response';
    return m.time === undefined ? { file, index, kind, node, xml: m.xml } : { file, index, kind, node, xml: m.xml, time: m.time };
  });
}

/** Load every file not in {@link OASIS_SKIP}; failures are collected, not thrown. */
export function loadOasisCorpus(
  dict: TtlvDictionary,
  placeholder: PlaceholderHook = fixedPlaceholders,
  dir: string = OASIS_DIR,
): { messages: OasisMessage[]; failures: OasisFailure[]; skipped: string[]; files: number } {
  const messages: OasisMessage[] = [];
  const failures: OasisFailure[] = [];
  const skipped: string[] = [];
  const files = listOasisFiles(dir);
  for (const file of files) {
    if (OASIS_SKIP[file] !== undefined) {
      skipped.push(file);
      continue;
    }
    try {
      messages.push(...loadOasisFile(file, dict, placeholder, dir));
    } catch (e) {
      failures.push({ file, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return { messages, failures, skipped, files: files.length };
}
