import { describe, expect, it } from 'vitest';
import { mergeNewest } from './logtail';

const r = (id: string, sec: number) => ({ id, time: new Date(Date.UTC(2026, 0, 1, 0, 0, sec)).toISOString() });

describe('mergeNewest', () => {
  it('puts new rows on top and reports them', () => {
    const shown = [r('b', 2), r('a', 1)];
    const m = mergeNewest(shown, [r('d', 4), r('c', 3), r('b', 2)], 3);
    expect(m.rows.map((x) => x.id)).toEqual(['d', 'c', 'b', 'a']);
    expect(m.added).toEqual(['d', 'c']);
    expect(m.gap).toBe(false);
  });

  it('returns the same list when nothing is new', () => {
    const shown = [r('a', 1)];
    const m = mergeNewest(shown, [r('a', 1)], 50);
    expect(m.rows).toBe(shown);
    expect(m.added).toEqual([]);
  });

  it('keeps time order for a row logged late', () => {
    const m = mergeNewest([r('c', 3), r('a', 1)], [r('c', 3), r('b', 2), r('a', 1)], 50);
    expect(m.rows.map((x) => x.id)).toEqual(['c', 'b', 'a']);
  });

  it('replaces everything when a full page holds only new rows (a gap)', () => {
    const m = mergeNewest([r('a', 1)], [r('z', 9), r('y', 8)], 2);
    expect(m.gap).toBe(true);
    expect(m.rows.map((x) => x.id)).toEqual(['z', 'y']);
  });

  it('fills an empty view', () => {
    const m = mergeNewest([], [r('a', 1)], 1);
    expect(m.gap).toBe(false);
    expect(m.rows.map((x) => x.id)).toEqual(['a']);
  });
});
