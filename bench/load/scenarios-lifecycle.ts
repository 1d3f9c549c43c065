/**
 * Lifecycle scenarios of the server benchmark (bench/server.ts groups `create-key-pair`,
 * `register`, `locate`): pre-encoded KMIP 1.2 requests, like the Get and Create ones.
 * - Create Key Pair RSA-2048 and EC P-256 (the HSM generates each pair, and both halves are stored);
 * - Register of an AES-256 key (Raw, 32 bytes; no Name, so every request is valid again);
 * - Locate by Name, a unique name that exists (one of the populated objects, bench/populate.ts)
 *   and a name no object has, against a store holding --objects objects (10,000 by default).
 */
import { CryptographicAlgorithm, CryptographicUsageMask, KeyFormatType, NameType, ObjectType, Operation, ResultStatus, Tag } from '../../src/kmip/generated/index.js';
import { bytes, children, enm, int, struct, text } from '../../src/ttlv/build.js';
import type { TtlvNode } from '../../src/ttlv/types.js';
import { parseResponse, request } from '../../test/helpers/kmip-request.js';
import type { KmipSocket } from './kmip-socket.js';
import { populatedName } from '../populate.js';
import type { ScenarioSpec } from './scenarios.js';

export const LIFECYCLE_GROUPS = ['create-key-pair', 'register', 'locate'] as const;
export type LifecycleGroup = (typeof LIFECYCLE_GROUPS)[number];

const attribute = (name: string, value: TtlvNode): TtlvNode => struct(Tag.Attribute, [text(Tag.AttributeName, name), { ...value, tag: Tag.AttributeValue } as TtlvNode]);
const usage = (mask: number): TtlvNode => attribute('Cryptographic Usage Mask', int(Tag.AttributeValue, mask));

function createKeyPair(algorithm: number, lengthBits: number): Buffer {
  return request([1, 2], [
    {
      operation: Operation.CreateKeyPair,
      payload: [
        struct(Tag.CommonTemplateAttribute, [
          attribute('Cryptographic Algorithm', enm(Tag.AttributeValue, algorithm)),
          attribute('Cryptographic Length', int(Tag.AttributeValue, lengthBits)),
        ]),
        struct(Tag.PrivateKeyTemplateAttribute, [usage(CryptographicUsageMask.Sign)]),
        struct(Tag.PublicKeyTemplateAttribute, [usage(CryptographicUsageMask.Verify)]),
      ],
    },
  ]);
}

const registerAes256 = request([1, 2], [
  {
    operation: Operation.Register,
    payload: [
      enm(Tag.ObjectType, ObjectType.SymmetricKey),
      struct(Tag.TemplateAttribute, [usage(CryptographicUsageMask.Encrypt | CryptographicUsageMask.Decrypt)]),
      struct(Tag.SymmetricKey, [
        struct(Tag.KeyBlock, [
          enm(Tag.KeyFormatType, KeyFormatType.Raw),
          struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, Buffer.alloc(32, 0x5a))]),
          enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
          int(Tag.CryptographicLength, 256),
        ]),
      ]),
    ],
  },
]);

/** Locate by Name (KMIP 1.2: Attribute Name "Name", value Name Value + Name Type). */
export function locateByName(name: string): Buffer {
  return request([1, 2], [
    {
      operation: Operation.Locate,
      payload: [
        attribute('Name', struct(Tag.AttributeValue, [text(Tag.NameValue, name), enm(Tag.NameType, NameType.UninterpretedTextString)])),
      ],
    },
  ]);
}

/** The populated object a Locate hit asks for: one in the middle of the store. */
export const locateHitName = (objects: number): string => populatedName(Math.floor(objects / 2));
export const LOCATE_MISS_NAME = 'bench-obj-missing';

export function lifecycleSpecs(groups: readonly string[], connectionCounts: readonly number[], objects: number): ScenarioSpec[] {
  const out: ScenarioSpec[] = [];
  const n = objects.toLocaleString('en-US');
  const kinds: [LifecycleGroup, string, Buffer][] = [
    ['create-key-pair', 'Create Key Pair RSA-2048', createKeyPair(CryptographicAlgorithm.RSA, 2048)],
    ['create-key-pair', 'Create Key Pair EC P-256', createKeyPair(CryptographicAlgorithm.EC, 256)],
    ['register', 'Register AES-256', registerAes256],
    ['locate', `Locate by Name, hit (${n} objects)`, locateByName(locateHitName(objects))],
    ['locate', `Locate by Name, miss (${n} objects)`, locateByName(LOCATE_MISS_NAME)],
  ];
  for (const [group, name, req] of kinds) {
    if (!groups.includes(group)) continue;
    for (const c of connectionCounts) out.push({ name, mode: 'persistent', connections: c, request: req });
  }
  return out;
}

/**
 * Before measuring: the hit must find exactly one object and the miss none, so the figures are
 * about the Locate the scenario names (the load loop itself only checks Success).
 */
export async function checkLocate(sock: KmipSocket, objects: number): Promise<void> {
  for (const [name, want] of [
    [locateHitName(objects), 1],
    [LOCATE_MISS_NAME, 0],
  ] as const) {
    const item = parseResponse(await sock.roundTrip(locateByName(name))).items[0];
    if (item?.status !== ResultStatus.Success) throw new Error(`setup Locate ${name} failed: ${item?.message ?? 'no item'}`);
    const found = item.payload === undefined ? 0 : children(item.payload, Tag.UniqueIdentifier).length;
    if (found !== want) throw new Error(`setup Locate ${name}: ${found} objects, expected ${want} (is the store populated with ${objects}?)`);
  }
}
