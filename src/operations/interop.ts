/**
 * Interop (KMIP 2.0+; 2.1 §6.1.26): a test harness tells the server that the test case named by
 * the Interop Identifier begins, ends or is to be reset (the OASIS BL-M-*-21 and TC-SETATTR-*
 * cases open with Begin and close with End). kmipd keeps no per-test state, so Begin and End
 * succeed with an empty payload; Reset would need a known initial state to return to, which a
 * key manager holding real keys does not offer: Feature Not Supported. A 1.x request is
 * Operation Not Supported (the operation does not exist there).
 */
import { featureNotSupported, invalidField, missingData, operationNotSupported } from '../kmip/errors.js';
import { InteropFunction, Operation, Tag } from '../kmip/generated/index.js';
import { is2x } from '../kmip/protocol-version.js';
import { defineOperation } from './types.js';

interface InteropRequest {
  readonly fn: number;
  readonly identifier: string;
}

export default defineOperation<InteropRequest, Record<string, never>>({
  operation: Operation.Interop,
  decode(payload, ctx) {
    if (!is2x(ctx.version)) throw operationNotSupported('Interop is a KMIP 2.0 operation');
    if (payload === undefined) throw missingData('Interop needs Interop Function and Interop Identifier');
    return { fn: payload.req(Tag.InteropFunction, 'Enumeration').value, identifier: payload.req(Tag.InteropIdentifier, 'TextString').value };
  },
  async handle(ctx, req) {
    switch (req.fn) {
      case InteropFunction.Begin:
      case InteropFunction.End:
        ctx.log.debug({ interopFunction: req.fn === InteropFunction.Begin ? 'Begin' : 'End' }, 'interop');
        return {};
      case InteropFunction.Reset:
        throw featureNotSupported('Interop Reset is not supported');
      default:
        throw invalidField('Unknown Interop Function');
    }
  },
  encode() {
    return [];
  },
});
