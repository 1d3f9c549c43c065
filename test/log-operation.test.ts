/** Log (KMIP 2.1 §6.1.29), in process: the client's message lands in the server's log (BL-M-1-21). */
import { Writable } from 'node:stream';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../src/dispatch/dispatcher.js';
import { Operation, ResultReason, ResultStatus, Tag } from '../src/kmip/generated/index.js';
import { MAX_LOG_MESSAGE } from '../src/operations/log.js';
import { text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { parseResponse, request } from './helpers/kmip-request.js';
import { testDispatcher } from './helpers/dispatcher.js';

type V = [number, number];

describe('Log', () => {
  let d: Dispatcher;
  let lines: Record<string, unknown>[];
  beforeEach(() => {
    lines = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString('utf8').split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    d = testDispatcher({ log: pino({ level: 'info' }, sink) });
  });
  const log = async (v: V, payload: TtlvNode[] | undefined) =>
    (await parseResponse(await d.handle(request(v, [{ operation: Operation.Log, ...(payload ? { payload } : {}) }]), { principal: 'alice', connId: 'c' }))).items[0]!;

  it('writes the message to the server log and answers an empty payload', async () => {
    const r = await log([2, 1], [text(Tag.LogMessage, 'Registered a symmetric key.')]);
    expect(r.status, r.message).toBe(ResultStatus.Success);
    expect(r.payload?.value ?? []).toEqual([]);
    await new Promise((res) => setImmediate(res));
    expect(lines.some((l) => l['logMessage'] === 'Registered a symmetric key.')).toBe(true);
  });

  it('refuses a missing or over-long message, and 1.x', async () => {
    expect((await log([2, 1], [])).reason).toBe(ResultReason.MissingData);
    expect((await log([2, 1], [text(Tag.LogMessage, 'x'.repeat(MAX_LOG_MESSAGE + 1))])).reason).toBe(ResultReason.InvalidField);
    expect((await log([1, 4], [text(Tag.LogMessage, 'hello')])).reason).toBe(ResultReason.OperationNotSupported);
  });
});
