/**
 * Generates src/kmip/generated/*.ts from the KMIP tables in spec/ (CONVENTIONS.md §2: spec
 * tables are data). `npm run gen:spec` writes the files; `npm run check:spec` (--check) writes
 * nothing and exits 1 when a committed generated file differs from what spec/ produces.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from './spec/model.js';
import { renderAll } from './spec/render.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const specDir = join(root, 'spec');
const outDir = join(root, 'src', 'kmip', 'generated');

/** Files whose committed content differs from the generator's output (empty: up to date). */
export function staleFiles(): string[] {
  const stale: string[] = [];
  for (const [name, text] of renderAll(loadModel(specDir))) {
    const path = join(outDir, name);
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) stale.push(name);
  }
  return stale;
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
  mkdirSync(outDir, { recursive: true });
  for (const [name, text] of renderAll(loadModel(specDir))) writeFileSync(join(outDir, name), text);
  console.log(`wrote src/kmip/generated (${[...renderAll(loadModel(specDir)).keys()].join(', ')})`);
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
