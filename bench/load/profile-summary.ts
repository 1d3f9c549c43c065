/**
 * Summarises a V8 .cpuprofile written by `npm run bench -- --server-prof DIR`: where the server's
 * CPU time goes, by area (TLS, HSM, LevelDB, TTLV codec, dispatch, ...) and by function.
 *
 *   tsx bench/load/profile-summary.ts DIR-or-FILE [top N]
 *
 * With the windows.json the benchmark writes next to the profile, each scenario's measured
 * window is summarised on its own (server start-up, warm-up and the gaps are left out);
 * otherwise the whole profile is. Only the main thread's profile is read (Node also writes one
 * per worker thread, e.g. tsx's loader, which is idle while serving).
 *
 * Each sample is charged to the area of its deepest stack frame that belongs to a known area
 * (so a native pkcs11js call is charged to HSM, not to the function that made it); samples with
 * no such frame fall back to the leaf's own name ("(garbage collector)", "(program)", ...).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Areas by source location, most specific first. */
const AREAS: [string, RegExp][] = [
  ['HSM (pkcs11js / src/crypto)', /pkcs11js|\/src\/crypto\//],
  ['LevelDB (classic-level / abstract-level)', /classic-level|abstract-level|level-transcoder|module-error/],
  ['store (src/store)', /\/src\/store\//],
  ['audit (src/audit)', /\/src\/audit\//],
  ['TTLV codec (src/ttlv)', /\/src\/ttlv\//],
  ['KMIP model (src/kmip)', /\/src\/kmip\//],
  ['operations (src/operations)', /\/src\/operations\//],
  ['dispatch (src/dispatch, src/policy)', /\/src\/dispatch\/|\/src\/policy\//],
  ['server connection (src/server)', /\/src\/server\//],
  ['logging (pino)', /pino|sonic-boom|\/src\/log\.ts/],
  ['TLS (node:tls, node:_tls_*)', /^node:_?tls|_tls_wrap|_tls_common/],
  ['net / streams (node:net, node:stream)', /^node:(net|stream|internal\/streams|internal\/stream_base)/],
  ['crypto (node:crypto)', /^node:(internal\/)?crypto/],
];

function areaOf(frame: CallFrame): string | undefined {
  for (const [name, re] of AREAS) if (re.test(frame.url)) return name;
  return undefined;
}

function files(arg: string): string[] {
  if (!statSync(arg).isDirectory()) return [arg];
  return readdirSync(arg)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(arg, f));
}

interface Window {
  name: string;
  connections: number;
  fromUs: number;
  toUs: number;
}

function summarise(file: string, p: CpuProfile, top: number, window?: Window): void {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const area = new Map<string, number>();
  const self = new Map<string, number>();
  let total = 0;
  // Sample i's duration is timeDeltas[i + 1] (the delta recorded with the next sample).
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    const dt = p.timeDeltas[i + 1] ?? 0;
    if (window !== undefined && (t < window.fromUs || t >= window.toUs)) continue;
    const leaf = byId.get(p.samples[i]!)!;
    total += dt;
    const name = `${leaf.callFrame.functionName || '(anonymous)'} ${leaf.callFrame.url.replace(/^.*\/(node_modules|src)\//, '$1/')}:${leaf.callFrame.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + dt);
    let a: string | undefined;
    for (let id: number | undefined = leaf.id; id !== undefined && a === undefined; id = parent.get(id)) a = areaOf(byId.get(id)!.callFrame);
    const key = a ?? (leaf.callFrame.url === '' ? leaf.callFrame.functionName || '(native)' : 'other JS');
    area.set(key, (area.get(key) ?? 0) + dt);
  }
  const pct = (us: number): string => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
  const what = window === undefined ? file : `${window.name}, ${window.connections} conn`;
  console.log(`\n${what}: ${(total / 1e6).toFixed(2)} s sampled`);
  console.log('  by area:');
  for (const [k, v] of [...area].sort((x, y) => y[1] - x[1])) console.log(`  ${pct(v)}  ${k}`);
  console.log(`  top ${top} functions by self time:`);
  for (const [k, v] of [...self].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(v)}  ${k}`);
}

const target = process.argv[2];
if (target === undefined) {
  console.error('usage: tsx bench/load/profile-summary.ts DIR-or-FILE [top N]');
  process.exit(2);
}
const top = Number(process.argv[3] ?? 25);
// Node names profiles CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; the main thread is 0.
const all = files(target);
const mainFile = all.find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f)) ?? all[0];
const main = mainFile === undefined ? undefined : { f: mainFile, p: JSON.parse(readFileSync(mainFile, 'utf8')) as CpuProfile };
if (main === undefined) throw new Error(`no .cpuprofile in ${target}`);
const windowsFile = join(statSync(target).isDirectory() ? target : dirname(target), 'windows.json');
if (existsSync(windowsFile)) {
  const { windows } = JSON.parse(readFileSync(windowsFile, 'utf8')) as { windows: Window[] };
  console.log(`${main.f}: per measured window`);
  for (const w of windows) summarise(main.f, main.p, top, w);
} else summarise(main.f, main.p, top);
