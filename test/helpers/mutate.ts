/**
 * Structure-aware mutations of KMIP request trees, for the dispatcher fuzz test: each mutation
 * keeps the message encodable (valid TTLV) but breaks its KMIP meaning in the ways real clients
 * and attackers do: a field dropped, duplicated, moved, retyped, renamed to another tag, or given
 * an extreme value.
 */
import { Tag } from '../../src/kmip/generated/index.js';
import type { TtlvNode } from '../../src/ttlv/types.js';

/** A small deterministic PRNG (mulberry32), so that a failing seed replays exactly. */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

const ALL_TAGS: readonly number[] = Object.values(Tag as Record<string, number>);

/** A value of the given type, chosen among the edges and some random ones. */
export function randomLeaf(rng: Rng, tag: number, type: Exclude<TtlvNode['type'], 'Structure'>): TtlvNode {
  switch (type) {
    case 'Integer':
      return { tag, type, value: rng.pick([0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 8, 128, 256, 4096, 65536, rng.int(2 ** 31)]) };
    case 'LongInteger':
      return { tag, type, value: rng.pick([0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), BigInt(rng.int(2 ** 31))]) };
    case 'BigInteger':
      return { tag, type, value: rng.pick([0n, 1n, -1n, 2n ** 64n, -(2n ** 200n), 2n ** 4096n - 1n]) };
    case 'Enumeration':
      return { tag, type, value: rng.pick([0, 1, 2, 3, 4, 5, 0xff, 0x8000_0000, 0xffff_ffff, rng.int(64), rng.int(2 ** 32)]) };
    case 'Boolean':
      return { tag, type, value: rng.next() < 0.5 };
    case 'TextString':
      return { tag, type, value: rng.pick(['', 'x', ' ', '\u0000', 'é€𝄞', 'a'.repeat(5000), '$UNIQUE_IDENTIFIER_0', '-1', '2', String(rng.int(1000))]) };
    case 'ByteString':
      return { tag, type, value: rng.pick([new Uint8Array(0), new Uint8Array(1), rng.bytes(rng.int(70)), rng.bytes(16), rng.bytes(32), rng.bytes(4100)]) };
    case 'DateTime':
      return { tag, type, value: rng.pick([0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 1_700_000_000n]) };
    case 'Interval':
      return { tag, type, value: rng.pick([0, 1, 0xffff_ffff, rng.int(2 ** 32)]) };
    case 'DateTimeExtended':
      return { tag, type, value: rng.pick([0n, -1n, 2n ** 63n - 1n, 1_700_000_000_000_000n]) };
  }
}

const LEAF_TYPES = ['Integer', 'LongInteger', 'BigInteger', 'Enumeration', 'Boolean', 'TextString', 'ByteString', 'DateTime', 'Interval', 'DateTimeExtended'] as const;

/** Paths (child indexes from the root) of every node under `root`, root excluded. */
function paths(root: TtlvNode, prefix: number[] = [], out: number[][] = []): number[][] {
  if (root.type !== 'Structure') return out;
  root.value.forEach((c, i) => {
    const p = [...prefix, i];
    out.push(p);
    paths(c, p, out);
  });
  return out;
}

/** `root` with the node at `path` replaced by `f(node)` (a list: none, one or several nodes). */
function edit(root: TtlvNode, path: readonly number[], f: (n: TtlvNode) => TtlvNode[]): TtlvNode {
  if (root.type !== 'Structure' || path.length === 0) return root;
  const [i, ...rest] = path as [number, ...number[]];
  const children = root.value.slice();
  const child = children[i]!;
  if (rest.length === 0) children.splice(i, 1, ...f(child));
  else children[i] = edit(child, rest, f);
  return { ...root, value: children };
}

/** One random mutation of `msg`; `label` says what was done (for a failure report). */
export function mutate(rng: Rng, msg: TtlvNode): { node: TtlvNode; label: string } {
  const all = paths(msg);
  // Mostly inside Batch Items (payloads, operations), where the handlers' parsing lives.
  const inItems = all.filter((p) => msg.type === 'Structure' && msg.value[p[0]!]?.tag === Tag.BatchItem && p.length > 1);
  const path = rng.pick(inItems.length > 0 && rng.next() < 0.85 ? inItems : all);
  const kind = rng.int(9);
  let label = '';
  const node = edit(msg, path, (n) => {
    const tagName = Tag[n.tag as unknown as keyof typeof Tag] ?? `0x${n.tag.toString(16)}`;
    switch (kind) {
      case 0:
        label = `drop ${tagName}`;
        return [];
      case 1:
        label = `duplicate ${tagName}`;
        return [n, n];
      case 2: {
        if (n.type === 'Structure') {
          label = `empty ${tagName}`;
          return [{ ...n, value: [] }];
        }
        const v = randomLeaf(rng, n.tag, n.type);
        label = `value of ${tagName}`;
        return [v];
      }
      case 3: {
        const type = rng.pick(LEAF_TYPES.filter((t) => t !== n.type));
        label = `${tagName} as ${type}`;
        return [randomLeaf(rng, n.tag, type)];
      }
      case 4: {
        const tag = rng.pick(ALL_TAGS);
        label = `${tagName} renamed 0x${tag.toString(16)}`;
        return [{ ...n, tag } as TtlvNode];
      }
      case 5: {
        if (n.type !== 'Structure') return [{ tag: n.tag, type: 'Structure', value: [] }];
        const tag = rng.pick(ALL_TAGS);
        const extra = randomLeaf(rng, tag, rng.pick(LEAF_TYPES));
        label = `${tagName} gains 0x${tag.toString(16)}`;
        const at = rng.int(n.value.length + 1);
        const value = n.value.slice();
        value.splice(at, 0, extra);
        return [{ ...n, value }];
      }
      case 6: {
        if (n.type !== 'Structure' || n.value.length < 2) {
          label = `drop ${tagName}`;
          return [];
        }
        label = `reorder ${tagName}`;
        return [{ ...n, value: n.value.slice().reverse() }];
      }
      case 7: {
        // A structure nested in itself: recursion and repeated-field paths.
        label = `nest ${tagName}`;
        return n.type === 'Structure' ? [{ ...n, value: [...n.value, n] }] : [n, n];
      }
      default: {
        label = `${tagName} as an empty Structure`;
        return [{ tag: n.tag, type: 'Structure', value: [] }];
      }
    }
  });
  return { node, label };
}
