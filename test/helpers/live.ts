/**
 * Vitest fixtures for live tests: one kmipd per test file (SoftHSM2 + LevelDB in a temp dir, mutual
 * TLS on loopback) with a connected client per name, and the result assertions those tests share.
 * Kept apart from kmipd.ts and kmip-request.ts, which the bench and the conformance CLI also load
 * outside vitest.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { KeyFormatType, ObjectType, Operation, ResultStatus, Tag } from '../../src/kmip/generated/index.js';
import { tagInfo } from '../../src/kmip/generated/tags.js';
import { bytes, dateTime, enm, int, struct, text } from '../../src/ttlv/build.js';
import type { TtlvNode } from '../../src/ttlv/types.js';
import { type ItemResult, parseResponse, payloadText, request } from './kmip-request.js';
import { type TestKmipd, startTestKmipd, testPki } from './kmipd.js';
import { KmipTestClient, loadClientCerts } from './tls-client.js';

export interface LiveKmipd {
  readonly server: TestKmipd;
  /** kmipd's data directory (SoftHSM2 token and LevelDB store), for tests that inspect what it wrote. */
  readonly dataDir: string;
  /** The connected client of that name (the first name by default). */
  client(name?: string): KmipTestClient;
  /** One request with one batch item, sent as that client; its single result. */
  one(version: [number, number], operation: number, payload: TtlvNode[], as?: string): Promise<ItemResult>;
}

/**
 * Starts kmipd before the file's tests and connects one client per name; removes it all after them.
 * `env` adds configuration variables (KMIPD_*) for that kmipd.
 */
export function useLiveKmipd(prefix: string, clients: string[] = ['alice'], env?: Readonly<Record<string, string>>): LiveKmipd {
  const work = mkdtempSync(join(tmpdir(), `kmipd-${prefix}-`));
  const certDir = join(work, 'certs');
  const dataDir = join(work, 'data');
  let server: TestKmipd | undefined;
  const connected = new Map<string, KmipTestClient>();
  beforeAll(async () => {
    testPki(certDir, clients);
    server = await startTestKmipd({ dataDir, certDir, ...(env === undefined ? {} : { env }) });
    for (const name of clients) connected.set(name, await KmipTestClient.connect(server.port, loadClientCerts(certDir, name)));
  }, 60_000);
  afterAll(async () => {
    for (const c of connected.values()) c.close();
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });
  const client = (name = clients[0]!): KmipTestClient => {
    const c = connected.get(name);
    if (c === undefined) throw new Error(`no connected client ${name}`);
    return c;
  };
  return {
    get server(): TestKmipd {
      if (server === undefined) throw new Error('kmipd is not started yet');
      return server;
    },
    dataDir,
    client,
    one: async (version, operation, payload, as) =>
      parseResponse((await client(as).roundTrip(request(version, [{ operation, payload }])))!).items[0]!,
  };
}

/** Asserts Success (showing the Result Message otherwise) and returns the item. */
export function expectSuccess(r: ItemResult): ItemResult {
  expect(r.status, r.message).toBe(ResultStatus.Success);
  return r;
}

/** Asserts Operation Failed with `reason` (showing the Result Message otherwise). */
export function expectFailure(r: ItemResult, reason: number): void {
  expect(r.status, r.message).toBe(ResultStatus.OperationFailed);
  expect(r.reason, r.message).toBe(reason);
}

/** Request attributes in the version's form: 2.x Attributes, 1.x Template-Attribute with spec names. */
export function requestAttributes(version: [number, number], list: TtlvNode[]): TtlvNode {
  if (version[0] >= 2) return struct(Tag.Attributes, list);
  return struct(
    Tag.TemplateAttribute,
    list.map((n) => struct(Tag.Attribute, [text(Tag.AttributeName, tagInfo(n.tag)!.spec), { ...n, tag: Tag.AttributeValue } as TtlvNode])),
  );
}

/** An Activation Date a minute in the past, so that a registered key is Active at once. */
export function activatedAMinuteAgo(): TtlvNode {
  return dateTime(Tag.ActivationDate, BigInt(Math.floor(Date.now() / 1000)) - 60n);
}

/**
 * Registers `material` as a Raw Symmetric Key of `alg` with usage `mask`, active a minute ago, plus
 * `extra` attributes; asserts Success and returns its Unique Identifier.
 */
export async function registerSymmetricKey(
  live: LiveKmipd,
  v: [number, number],
  alg: number,
  material: Buffer,
  mask: number,
  extra: TtlvNode[] = [],
): Promise<string> {
  const r = expectSuccess(
    await live.one(v, Operation.Register, [
      enm(Tag.ObjectType, ObjectType.SymmetricKey),
      requestAttributes(v, [int(Tag.CryptographicUsageMask, mask), activatedAMinuteAgo(), ...extra]),
      struct(Tag.SymmetricKey, [
        struct(Tag.KeyBlock, [
          enm(Tag.KeyFormatType, KeyFormatType.Raw),
          struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, material)]),
          enm(Tag.CryptographicAlgorithm, alg),
          int(Tag.CryptographicLength, material.length * 8),
        ]),
      ]),
    ]),
  );
  return payloadText(r, Tag.UniqueIdentifier)!;
}
