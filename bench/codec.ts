/**
 * Binary TTLV codec benchmark (`npm run bench:codec`): decode and encode throughput over the mix
 * of every OASIS test-case message (../shared/kmip-testcases, via test/helpers/oasis.ts), and
 * PyKMIP 0.10's codec on the subset of those frames it can parse, as a peer in the same run.
 *
 * Method: XML -> tree -> binary once (not timed). Each timed run makes whole passes over the
 * mix until at least RUN_MS have elapsed; after a warm-up run we report the median of RUNS runs.
 * Results and method are written up in BENCHMARKS.md.
 *
 * Env: BENCH_RUN_MS (default 1000), BENCH_RUNS (default 5), BENCH_PY_SECONDS (default 2),
 * BENCH_NO_PY=1 to skip the PyKMIP peer.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { kmipDictionary } from '../src/kmip/dictionary.js';
import { decodeTtlv } from '../src/ttlv/decode.js';
import { encodeTtlv } from '../src/ttlv/encode.js';
import { TtlvFramer } from '../src/ttlv/framer.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { loadOasisCorpus } from '../test/helpers/oasis.js';

const RUN_MS = Number(process.env['BENCH_RUN_MS'] ?? 1000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const PY_SECONDS = Number(process.env['BENCH_PY_SECONDS'] ?? 2);

interface Frame {
  readonly kind: 'request' | 'response';
  readonly bytes: Buffer;
  readonly tree: TtlvNode;
}

interface Rate {
  /** Wall-clock MB/s (10^6 bytes). */
  readonly mbps: number;
  readonly msgps: number;
  /** MB/s per CPU-second of this process (user + system), less sensitive to a busy machine. */
  readonly cpuMbps: number;
  /** Wall-clock MB/s of the fastest run: what the code does when the machine lets it. */
  readonly bestMbps?: number;
}

function loadFrames(): Frame[] {
  const { messages, failures } = loadOasisCorpus(kmipDictionary);
  const frames: Frame[] = [];
  let unencodable = 0;
  for (const m of messages) {
    try {
      const bytes = encodeTtlv(m.node);
      // Encode input is the XML codec's tree. Deliberately not a tree from decodeTtlv: keeping
      // thousands of decoder-made trees alive here would make V8 pretenure the decoder's
      // allocation sites into old space and measure mark-compact GC instead of the codec.
      frames.push({ kind: m.kind, bytes, tree: m.node });
    } catch {
      unencodable++;
    }
  }
  console.log(
    `corpus: ${frames.length} messages (${failures.length} files not loadable by the XML codec, ${unencodable} messages not encodable)`,
  );
  return frames;
}

/** Whole passes of `pass` until `ms` elapse; returns passes per wall second and per CPU second. */
function passesPerSecond(pass: () => void, ms: number): { wall: number; cpu: number } {
  let passes = 0;
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let elapsed = 0;
  do {
    pass();
    passes++;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
  } while (elapsed < ms);
  const c = process.cpuUsage(c0);
  return { wall: (passes * 1000) / elapsed, cpu: (passes * 1e6) / (c.user + c.system) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** The framer alone: the whole mix as one stream, pushed in TLS-record-sized 16 KiB chunks. */
function measureFramer(frames: readonly Frame[]): Rate {
  const stream = Buffer.concat(frames.map((f) => f.bytes));
  const chunks: Buffer[] = [];
  for (let i = 0; i < stream.length; i += 16384) chunks.push(stream.subarray(i, i + 16384));
  let sink = 0;
  const pass = (): void => {
    const f = new TtlvFramer();
    for (const c of chunks) sink += f.push(c).length;
  };
  passesPerSecond(pass, RUN_MS / 2);
  const runs = Array.from({ length: RUNS }, () => passesPerSecond(pass, RUN_MS));
  const pps = median(runs.map((r) => r.wall));
  const cpu = median(runs.map((r) => r.cpu));
  if (sink === 42) console.log('');
  const best = Math.max(...runs.map((r) => r.wall));
  return {
    mbps: (pps * stream.length) / 1e6,
    msgps: pps * frames.length,
    cpuMbps: (cpu * stream.length) / 1e6,
    bestMbps: (best * stream.length) / 1e6,
  };
}

function measure(frames: readonly Frame[]): { decode: Rate; encode: Rate } {
  const bytes = frames.reduce((n, f) => n + f.bytes.length, 0);
  let sink = 0;
  const dec = (): void => {
    for (const f of frames) sink += decodeTtlv(f.bytes).tag;
  };
  const enc = (): void => {
    for (const f of frames) sink += encodeTtlv(f.tree).length;
  };
  const rate = (pass: () => void): Rate => {
    passesPerSecond(pass, RUN_MS / 2); // warm-up
    const runs = Array.from({ length: RUNS }, () => passesPerSecond(pass, RUN_MS));
    const pps = median(runs.map((r) => r.wall));
    const cpu = median(runs.map((r) => r.cpu));
    const best = Math.max(...runs.map((r) => r.wall));
    return { mbps: (pps * bytes) / 1e6, msgps: pps * frames.length, cpuMbps: (cpu * bytes) / 1e6, bestMbps: (best * bytes) / 1e6 };
  };
  const decode = rate(dec);
  const encode = rate(enc);
  if (sink === 42) console.log(''); // keep results observable so nothing is optimised away
  return { decode, encode };
}

interface PyResult {
  frames: number;
  parsed: number[];
  exact: number;
  bytes: number;
  decode: PyTiming;
  encode: PyTiming;
}

interface PyTiming {
  passes: number;
  seconds: number;
  cpu_seconds: number;
}

function runPyKmip(frames: readonly Frame[]): PyResult | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'kmipd-bench-'));
  try {
    const file = join(dir, 'frames.bin');
    const parts: Buffer[] = [];
    for (const f of frames) {
      const h = Buffer.alloc(5);
      h[0] = f.kind === 'request' ? 0 : 1;
      h.writeUInt32BE(f.bytes.length, 1);
      parts.push(h, f.bytes);
    }
    writeFileSync(file, Buffer.concat(parts));
    const script = join(import.meta.dirname, 'codec_pykmip.py');
    const out = execFileSync('/usr/bin/python3', [script, file, String(PY_SECONDS)], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    return JSON.parse(out) as PyResult;
  } catch (e) {
    console.log(`PyKMIP peer not run: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const num = (x: number, d: number): string => (x >= 100 || d === 0 ? Math.round(x).toLocaleString('en-US') : x.toFixed(d));
const fmt = (r: Rate): string =>
  `${num(r.mbps, 2).padStart(7)} MB/s ${num(r.msgps, 0).padStart(10)} msg/s  (${num(r.cpuMbps, 2).padStart(7)} MB/s per CPU-s` +
  (r.bestMbps === undefined ? ')' : `, best run ${num(r.bestMbps, 2)} MB/s)`);

const ratio = (a: Rate, b: Rate): string =>
  `${(a.mbps / b.mbps).toFixed(0)}x wall, ${(a.cpuMbps / b.cpuMbps).toFixed(0)}x CPU`;

function main(): void {
  console.log(`node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}`);
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const frames = loadFrames();
  const total = frames.reduce((n, f) => n + f.bytes.length, 0);
  console.log(`mix: ${(total / 1024).toFixed(0)} KiB, mean ${(total / frames.length).toFixed(0)} B/message\n`);

  const all = measure(frames);
  console.log(`kmipd, all messages     decode ${fmt(all.decode)}`);
  console.log(`kmipd, all messages     encode ${fmt(all.encode)}`);
  console.log(`kmipd framer, 16K chunks       ${fmt(measureFramer(frames))}`);
  console.log(`load average now: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  if (process.env['BENCH_NO_PY'] === '1') return;
  const py = runPyKmip(frames);
  if (py === undefined) return;
  const subset = py.parsed.map((i) => frames[i]!);
  const sub = measure(subset);
  const pyRate = (p: PyTiming): Rate => ({
    mbps: (p.passes * py.bytes) / p.seconds / 1e6,
    msgps: (p.passes * subset.length) / p.seconds,
    cpuMbps: (p.passes * py.bytes) / p.cpu_seconds / 1e6,
  });
  const pd = pyRate(py.decode);
  const pe = pyRate(py.encode);
  console.log(`\nPyKMIP subset: ${subset.length} of ${py.frames} messages parsed (${py.exact} re-encode byte-identical), ${(py.bytes / 1024).toFixed(0)} KiB`);
  console.log(`kmipd, PyKMIP subset    decode ${fmt(sub.decode)}`);
  console.log(`kmipd, PyKMIP subset    encode ${fmt(sub.encode)}`);
  console.log(`PyKMIP 0.10             decode ${fmt(pd)}   kmipd ${ratio(sub.decode, pd)}`);
  console.log(`PyKMIP 0.10             encode ${fmt(pe)}   kmipd ${ratio(sub.encode, pe)}`);
}

main();
