import { describe, expect, it } from 'vitest';
import { fmtClock, fmtContinuation, fmtMs, fmtPct, fmtUsd, plural, severityClass } from './format';

describe('fmtMs', () => {
  it('keeps decimals for small timings', () => {
    expect(fmtMs(0)).toBe('0 ms');
    expect(fmtMs(0.314)).toBe('0.31 ms');
    expect(fmtMs(1.64)).toBe('1.6 ms');
    expect(fmtMs(250.4)).toBe('250 ms');
    expect(fmtMs(12345)).toBe('12.3 s');
    expect(fmtMs(null)).toBe('—');
  });
});

describe('fmtUsd', () => {
  it('shows tiny amounts with enough digits', () => {
    expect(fmtUsd(0.0000135)).toBe('$0.000014');
    expect(fmtUsd(12.5)).toBe('$12.50');
  });
});

describe('severityClass', () => {
  it('maps severities to badge classes', () => {
    expect(severityClass('critical')).toBe('err');
    expect(severityClass('warning')).toBe('warn');
    expect(severityClass('info')).toBe('info');
  });
});

describe('fmtClock', () => {
  it('drops the date for today', () => {
    const now = new Date(2026, 10, 26, 15, 0, 0);
    expect(fmtClock(new Date(2026, 10, 26, 14, 3, 7).toISOString(), now)).toMatch(/14.03.07/);
    expect(fmtClock(new Date(2026, 10, 25, 14, 3, 7).toISOString(), now)).toMatch(/25/);
    expect(fmtClock('')).toBe('—');
  });
});

describe('plural', () => {
  it.each([
    [0, '0 models'],
    [1, '1 model'],
    [2, '2 models'],
  ])('%d', (n, want) => expect(plural(n, 'model')).toBe(want));
});

describe('fmtContinuation', () => {
  it.each([
    [{ delivered_bytes: 312, blocks: 1 }, 'after 312 B in 1 block'],
    [{ delivered_bytes: 2048, blocks: 3 }, 'after 2.0 KB in 3 blocks'],
    [{ delivered_bytes: 40, blocks: 0 }, 'after 40 B'],
    [{ delivered_bytes: 40 }, 'after 40 B'],
  ])('%o', (c, want) => expect(fmtContinuation(c)).toBe(want));
});

describe('fmtPct', () => {
  it.each([
    [0, '0%'],
    [0.04, '0.04%'],
    [0.5, '0.5%'],
    [5.26, '5.3%'],
    [42.4, '42%'],
    [100, '100%'],
    [Number.NaN, '—'],
    [null, '—'],
  ])('%s → %s', (p, want) => {
    expect(fmtPct(p)).toBe(want);
  });
});
