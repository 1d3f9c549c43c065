/**
 * Log (KMIP 2.0+; 2.1 §6.1.29): the client writes a message into the server's log. kmipd writes it
 * to its operational log (pino, at info, with the connection's client identity), and the request
 * itself gets its record in the hash-chained audit log like every other operation. The message is
 * the client's text, logged as one JSON string field (no raw bytes); an over-long one is refused
 * rather than truncated, so what is logged is what was sent. A 1.x request is Operation Not
 * Supported (the operation does not exist there).
 */
import { invalidField, missingData, operationNotSupported } from '../kmip/errors.js';
import { Operation, Tag } from '../kmip/generated/index.js';
import { is2x } from '../kmip/protocol-version.js';
import { defineOperation } from './types.js';

/** Longest Log Message accepted (characters): keeps one client from flooding the log with one request. */
export const MAX_LOG_MESSAGE = 4096;

export default defineOperation<{ message: string }, Record<string, never>>({
  operation: Operation.Log,
  decode(payload, ctx) {
    if (!is2x(ctx.version)) throw operationNotSupported('Log is a KMIP 2.0 operation');
    if (payload === undefined) throw missingData('Log needs a Log Message');
    const message = payload.req(Tag.LogMessage, 'TextString').value;
    if (message.length > MAX_LOG_MESSAGE) throw invalidField(`Log Message must be at most ${MAX_LOG_MESSAGE} characters`);
    return { message };
  },
  async handle(ctx, req) {
    ctx.log.info({ logMessage: req.message }, 'client log message');
    return {};
  },
  encode() {
    return [];
  },
});
