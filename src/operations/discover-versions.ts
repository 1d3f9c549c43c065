/**
 * Discover Versions. KMIP 1.4 §4.26, 2.1 §6.1.19: the server answers the protocol versions it
 * supports; when the client lists its own, only those the server also supports, in the client's
 * order of preference (and an empty list when none match).
 */
import { Fields } from '../kmip/fields.js';
import { Operation, Tag } from '../kmip/generated/index.js';
import { type ProtocolVersion, SUPPORTED_VERSIONS, isSupported } from '../kmip/protocol-version.js';
import { int, struct } from '../ttlv/build.js';
import { defineOperation } from './types.js';

export default defineOperation<ProtocolVersion[], ProtocolVersion[]>({
  operation: Operation.DiscoverVersions,
  decode(payload) {
    if (payload === undefined) return [];
    return payload.many(Tag.ProtocolVersion, 'Structure').map((n) => {
      const f = new Fields(n, 'Protocol Version');
      return { major: f.req(Tag.ProtocolVersionMajor, 'Integer').value, minor: f.req(Tag.ProtocolVersionMinor, 'Integer').value };
    });
  },
  async handle(_ctx, requested) {
    return requested.length === 0 ? [...SUPPORTED_VERSIONS] : requested.filter(isSupported);
  },
  encode(versions) {
    return versions.map((v) =>
      struct(Tag.ProtocolVersion, [int(Tag.ProtocolVersionMajor, v.major), int(Tag.ProtocolVersionMinor, v.minor)]),
    );
  },
});
