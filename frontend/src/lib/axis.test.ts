import { describe, expect, it } from 'vitest';
import { niceAxis } from './axis';

describe('niceAxis', () => {
  it.each([
    [100, false, [0, 25, 50, 75, 100]],
    [110, false, [0, 50, 100, 150]],
    [97, false, [0, 25, 50, 75, 100]],
    [3, true, [0, 1, 2, 3]],
    [1, true, [0, 1]],
    [7, true, [0, 2, 4, 6, 8]],
    [9, true, [0, 5, 10]],
    [0.013, false, [0, 0.005, 0.01, 0.015]],
    [1234, false, [0, 500, 1000, 1500]],
  ])('max %s (integer %s): %j', (max, integer, ticks) => {
    expect(niceAxis(max, integer)).toEqual({ max: ticks[ticks.length - 1], ticks });
  });
  it('tops every value with a tick, in at most five ticks', () => {
    for (const integer of [false, true]) {
      for (let max = 0.01; max < 1e6; max *= 1.37) {
        const a = niceAxis(max, integer);
        expect(a.max).toBeGreaterThanOrEqual(max);
        expect(a.ticks.length).toBeLessThanOrEqual(5);
        expect(a.ticks[0]).toBe(0);
        if (integer) expect(a.ticks.every(Number.isInteger)).toBe(true);
      }
    }
  });
  it('has a unit axis for no data', () => {
    expect(niceAxis(0)).toEqual({ max: 1, ticks: [0, 1] });
    expect(niceAxis(Number.NaN)).toEqual({ max: 1, ticks: [0, 1] });
  });
});
