import { describe, expect, it } from 'vitest';
import { JobGate, slowJobSlots, uvThreadPoolSize } from './slow-jobs.js';

describe('slow job gate', () => {
  it('leaves two libuv threads to other work', () => {
    expect(uvThreadPoolSize({})).toBe(4);
    expect(uvThreadPoolSize({ UV_THREADPOOL_SIZE: '16' })).toBe(16);
    expect(uvThreadPoolSize({ UV_THREADPOOL_SIZE: 'lots' })).toBe(4);
    expect(uvThreadPoolSize({ UV_THREADPOOL_SIZE: '5000' })).toBe(1024);
    expect(slowJobSlots(4)).toBe(2);
    expect(slowJobSlots(16)).toBe(14);
    expect(slowJobSlots(2)).toBe(1);
    expect(slowJobSlots(1)).toBe(1);
  });

  it('runs at most `slots` jobs at once, the others in arrival order, and survives failures', async () => {
    const gate = new JobGate(2);
    const started: number[] = [];
    const release: Array<() => void> = [];
    const jobs = [0, 1, 2, 3, 4].map((i) =>
      gate.run(async () => {
        started.push(i);
        await new Promise<void>((r) => release.push(r));
        if (i === 1) throw new Error('job 1 failed');
        return i;
      }),
    );
    const settled = Promise.allSettled(jobs);
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    expect(gate.load).toEqual({ running: 2, waiting: 3 });
    release.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    release.shift()!(); // job 1 fails: its slot still passes on
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2, 3]);
    while (release.length > 0) {
      release.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    const out = await settled;
    expect(out.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(gate.load).toEqual({ running: 0, waiting: 0 });
  });
});
