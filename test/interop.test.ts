/** Interop (KMIP 2.1 §6.1.26), in process: Begin / End succeed empty, Reset is refused, 1.x lacks it. */
import { beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../src/dispatch/dispatcher.js';
import { InteropFunction, Operation, ResultReason, ResultStatus, Tag } from '../src/kmip/generated/index.js';
import { enm, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { parseResponse, request } from './helpers/kmip-request.js';
import { testDispatcher } from './helpers/dispatcher.js';

type V = [number, number];

describe('Interop', () => {
  let d: Dispatcher;
  beforeEach(() => {
    d = testDispatcher();
  });
  const interop = async (v: V, payload: TtlvNode[]) =>
    (await parseResponse(await d.handle(request(v, [{ operation: Operation.Interop, payload }]), { principal: 'alice', connId: 'c' }))).items[0]!;
  const call = (v: V, fn: number) => interop(v, [enm(Tag.InteropFunction, fn), text(Tag.InteropIdentifier, 'BL-M-1-21')]);

  it.each([
    ['2.0', [2, 0] as V],
    ['2.1', [2, 1] as V],
  ])('Begin and End succeed with an empty payload at %s (BL-M-1-21 steps 0 and last)', async (_l, v) => {
    for (const fn of [InteropFunction.Begin, InteropFunction.End]) {
      const r = await call(v, fn);
      expect(r.status, r.message).toBe(ResultStatus.Success);
      expect(r.payload?.value ?? []).toEqual([]);
    }
  });

  it('Reset is Feature Not Supported', async () => {
    const r = await call([2, 1], InteropFunction.Reset);
    expect(r.status).toBe(ResultStatus.OperationFailed);
    expect(r.reason).toBe(ResultReason.FeatureNotSupported);
  });

  it('a missing Interop Identifier or an unknown function is refused', async () => {
    expect((await interop([2, 1], [enm(Tag.InteropFunction, InteropFunction.Begin)])).status).toBe(ResultStatus.OperationFailed);
    const r = await call([2, 1], 99);
    expect(r.status).toBe(ResultStatus.OperationFailed);
    expect(r.reason).toBe(ResultReason.InvalidField);
  });

  it.each([
    ['1.2', [1, 2] as V],
    ['1.4', [1, 4] as V],
  ])('is Operation Not Supported at %s', async (_l, v) => {
    const r = await call(v, InteropFunction.Begin);
    expect(r.status).toBe(ResultStatus.OperationFailed);
    expect(r.reason).toBe(ResultReason.OperationNotSupported);
  });
});
