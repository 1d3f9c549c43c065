import { describe, expect, it } from 'vitest';
import { ByteBudget } from './byte-budget.js';

describe('ByteBudget', () => {
  it('grants what fits, always one reservation when none is held, and wakes waiters as bytes return', () => {
    const b = new ByteBudget(100);
    expect(b.tryTake(60)).toBe(true);
    expect(b.tryTake(50)).toBe(false);
    const woken: string[] = [];
    const w1 = () => {
      if (b.tryTake(50)) {
        woken.push('w1');
        b.unwait(w1);
      }
    };
    b.wait(w1);
    b.give(60);
    expect(woken).toEqual(['w1']);
    expect(b.used).toBe(50);
    b.give(50);
    expect(b.tryTake(500)).toBe(true); // larger than the budget, but nothing else is held
    expect(b.tryTake(1)).toBe(false);
    b.force(10); // already in memory: counted regardless
    expect(b.used).toBe(510);
  });
});
