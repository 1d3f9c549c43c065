/**
 * A small reader for the Word-exported OASIS KMIP specification HTML: it turns a document into
 * a flat list of headings, captions and tables (rows of cell text). Only used by the offline
 * extractor (scripts/spec/extract.ts); CI never runs it.
 */

/** A heading, a table caption, or a table. */
export type Block =
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'caption'; text: string }
  | { kind: 'table'; rows: string[][] };

const NAMED_ENTITIES: Record<string, string> = {
  nbsp: ' ',
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  rsquo: "'",
  lsquo: "'",
  ldquo: '"',
  rdquo: '"',
  ndash: '-',
  mdash: '-',
  shy: '',
  hellip: '...',
};

// Windows-1252 bytes 0x80-0x9F that the 1.4 document uses unescaped.
const CP1252: Record<number, string> = {
  0x91: "'",
  0x92: "'",
  0x93: '"',
  0x94: '"',
  0x96: '-',
  0x97: '-',
  0xa0: ' ',
  0xad: '',
};

/** Decode the document bytes (ASCII or windows-1252) to a string. */
export function decodeDocument(buf: Buffer): string {
  let out = '';
  for (const b of buf) out += b < 0x80 ? String.fromCharCode(b) : (CP1252[b] ?? String.fromCharCode(b));
  return out;
}

/** Replace HTML entities; non-breaking and special hyphens become plain characters. */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x?[0-9a-fA-F]+|\w+);/g, (m, body: string) => {
    if (body.startsWith('#')) {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      if (code === 0xa0) return ' ';
      if (code === 0xad) return '';
      if (code === 0x2011 || code === 0x2010 || code === 0x2013 || code === 0x2014) return '-';
      if (code === 0x2018 || code === 0x2019) return "'";
      if (code === 0x201c || code === 0x201d) return '"';
      return String.fromCodePoint(code);
    }
    return NAMED_ENTITIES[body] ?? m;
  });
}

/** Visible text of an HTML fragment, whitespace collapsed. Hidden (display:none) spans are dropped. */
export function textOf(html: string): string {
  const noHidden = html.replace(/<span[^>]*display:\s*none[^>]*>[\s\S]*?<\/span>/gi, '');
  const withSup = noHidden.replace(/<sup[^>]*>([\s\S]*?)<\/sup>/gi, '^$1');
  const plain = withSup.replace(/<br[^>]*>/gi, ' ').replace(/<[^>]+>/g, '');
  return decodeEntities(plain).replace(/\s+/g, ' ').trim();
}

/** Split a document into headings, captions and tables, in document order. */
export function readBlocks(html: string): Block[] {
  const blocks: Block[] = [];
  const re = /<(h[1-6])\b[^>]*>([\s\S]*?)<\/\1>|<p\s+class=MsoCaption[^>]*>([\s\S]*?)<\/p>|<table\b[\s\S]*?<\/table>/gi;
  let m: RegExpExecArray | null;
  while ((m = re.exec(html)) !== null) {
    if (m[1] !== undefined) {
      blocks.push({ kind: 'heading', level: Number(m[1].slice(1)), text: textOf(m[2] ?? '') });
    } else if (m[3] !== undefined) {
      blocks.push({ kind: 'caption', text: textOf(m[3]) });
    } else {
      blocks.push({ kind: 'table', rows: tableRows(m[0]) });
    }
  }
  return blocks;
}

function tableRows(tableHtml: string): string[][] {
  const rows: string[][] = [];
  for (const tr of tableHtml.matchAll(/<tr\b[^>]*>([\s\S]*?)<\/tr>/gi)) {
    const cells = [...(tr[1] ?? '').matchAll(/<t[dh]\b[^>]*>([\s\S]*?)<\/t[dh]>/gi)].map((c) => textOf(c[1] ?? ''));
    if (cells.length > 0) rows.push(cells);
  }
  return rows;
}
