/**
 * Typed reads of fields from a decoded Structure, for the second decode stage (tree -> typed
 * request). A field of the wrong item type, a missing required field, or a repeated single field
 * is a KMIP error: `Invalid Message` inside headers, `Invalid Field` / `Missing Data` in payloads.
 */
import type { ItemTypeName, NodeOf, TtlvNode } from '../ttlv/types.js';
import { KmipError } from './errors.js';
import { ResultReason, tagInfo } from './generated/index.js';

/** Name of a tag for error messages (no values are ever included). */
export function tagLabel(tag: number): string {
  return tagInfo(tag)?.name ?? `0x${tag.toString(16).padStart(6, '0')}`;
}

/** Reads fields of one Structure; `where` names it in error messages. */
export class Fields {
  private readonly items: readonly TtlvNode[];

  constructor(
    readonly node: TtlvNode,
    private readonly where: string,
    private readonly header = false,
  ) {
    if (node.type !== 'Structure') throw this.fail(`${where} must be a Structure`);
    this.items = node.value;
  }

  private fail(msg: string, missing = false): KmipError {
    if (this.header) return new KmipError(ResultReason.InvalidMessage, msg);
    return new KmipError(missing ? ResultReason.MissingData : ResultReason.InvalidField, msg);
  }

  /** All children with this tag. */
  all(tag: number): TtlvNode[] {
    return this.items.filter((n) => n.tag === tag);
  }

  has(tag: number): boolean {
    return this.items.some((n) => n.tag === tag);
  }

  /** The single child with this tag and type, or undefined; a second instance is an error. */
  opt<T extends ItemTypeName>(tag: number, type: T): NodeOf<T> | undefined {
    let found: TtlvNode | undefined;
    for (const n of this.items) {
      if (n.tag !== tag) continue;
      if (found !== undefined) throw this.fail(`${this.where}: ${tagLabel(tag)} may appear only once`);
      found = n;
    }
    if (found === undefined) return undefined;
    if (found.type !== type) throw this.fail(`${this.where}: ${tagLabel(tag)} must be of type ${type}`);
    return found as NodeOf<T>;
  }

  req<T extends ItemTypeName>(tag: number, type: T): NodeOf<T> {
    const n = this.opt(tag, type);
    if (n === undefined) throw this.fail(`${this.where}: ${tagLabel(tag)} is required`, true);
    return n;
  }

  /** Every child with this tag, each checked to be of `type`. */
  many<T extends ItemTypeName>(tag: number, type: T): NodeOf<T>[] {
    const out = this.all(tag);
    for (const n of out) {
      if (n.type !== type) throw this.fail(`${this.where}: ${tagLabel(tag)} must be of type ${type}`);
    }
    return out as NodeOf<T>[];
  }

  int(tag: number): number | undefined {
    return this.opt(tag, 'Integer')?.value;
  }
  enum(tag: number): number | undefined {
    return this.opt(tag, 'Enumeration')?.value;
  }
  text(tag: number): string | undefined {
    return this.opt(tag, 'TextString')?.value;
  }
  bool(tag: number): boolean | undefined {
    return this.opt(tag, 'Boolean')?.value;
  }
  bytes(tag: number): Uint8Array | undefined {
    return this.opt(tag, 'ByteString')?.value;
  }
  struct(tag: number, where?: string): Fields | undefined {
    const n = this.opt(tag, 'Structure');
    return n === undefined ? undefined : new Fields(n, where ?? tagLabel(tag), this.header);
  }
}
