/**
 * Generates src/kmip/generated/*.ts from the KMIP tables in spec/ (CONVENTIONS.md §2: spec
 * tables are data). `npm run gen:spec` writes the files; `npm run check:spec` (--check) writes
 * nothing and exits 1 when a committed generated file differs from what spec/ produces, is
 * missing, or is left over from an earlier generator.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from './spec/model.js';
import { renderAll } from './spec/render.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** spec/ of this repository. */
export const SPEC_DIR = join(root, 'spec');
/** src/kmip/generated of this repository. */
export const OUT_DIR = join(root, 'src', 'kmip', 'generated');

/** Files in `outDir` that differ from what `specDir` produces (empty: up to date). */
export function staleFiles(specDir = SPEC_DIR, outDir = OUT_DIR): string[] {
  const expected = renderAll(loadModel(specDir));
  const stale: string[] = [];
  for (const [name, text] of expected) {
    const path = join(outDir, name);
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) stale.push(name);
  }
  if (existsSync(outDir)) {
    for (const name of readdirSync(outDir)) if (!expected.has(name)) stale.push(name);
  }
  return stale;
}

/** Write every generated file; returns their names. */
export function generate(specDir = SPEC_DIR, outDir = OUT_DIR): string[] {
  const files = renderAll(loadModel(specDir));
  mkdirSync(outDir, { recursive: true });
  for (const [name, text] of files) writeFileSync(join(outDir, name), text);
  return [...files.keys()];
}

function main(argv: string[]): number {
  if (argv.includes('--check')) {
    const stale = staleFiles();
    if (stale.length > 0) {
      console.error(`src/kmip/generated is out of date (${stale.join(', ')}); run npm run gen:spec`);
      return 1;
    }
    console.log('src/kmip/generated is up to date');
    return 0;
  }
  console.log(`wrote src/kmip/generated (${generate().join(', ')})`);
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
