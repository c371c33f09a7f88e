import { describe, expect, it } from 'vitest';
import { firstByteMs, timingBreakdown } from './timing';

describe('firstByteMs', () => {
  it('is the time to first byte of streamed and non-streamed rows alike', () => {
    expect(firstByteMs({ ttfb_ms: 300 })).toBe(300);
    expect(firstByteMs({ ttfb_ms: 0 })).toBeNull();
    expect(firstByteMs({ ttfb_ms: null })).toBeNull();
  });
});

describe('timingBreakdown', () => {
  it('splits a stream into overhead, upstream wait and streaming', () => {
    const t = timingBreakdown({ latency_ms: 1000, ttfb_ms: 300, overhead_ms: 20, stream: true });
    expect(t.total).toBe(1000);
    expect(t.ttfb).toBe(300);
    expect(t.segments.map((s) => [s.key, s.ms])).toEqual([
      ['overhead', 20],
      ['upstream', 280],
      ['rest', 700],
    ]);
    expect(t.segments.reduce((a, s) => a + s.pct, 0)).toBeCloseTo(100);
    expect(t.segments[2].label).toBe('Streaming the answer');
  });

  it('handles a non-stream answer (first byte at the end) and missing TTFB', () => {
    const a = timingBreakdown({ latency_ms: 500, ttfb_ms: 500, overhead_ms: 5, stream: false });
    expect(a.segments.map((s) => s.ms)).toEqual([5, 495, 0]);
    const b = timingBreakdown({ latency_ms: 500, ttfb_ms: 0, overhead_ms: 5, stream: false });
    expect(b.ttfb).toBeNull();
    expect(b.segments.map((s) => s.ms)).toEqual([5, 495, 0]);
  });

  it('clamps inconsistent numbers and survives zero', () => {
    const t = timingBreakdown({ latency_ms: 100, ttfb_ms: 150, overhead_ms: 120, stream: true });
    expect(t.segments.map((s) => s.ms)).toEqual([100, 0, 0]);
    const z = timingBreakdown({ latency_ms: 0, ttfb_ms: 0, overhead_ms: 0, stream: false });
    expect(z.segments.every((s) => s.pct === 0)).toBe(true);
  });
});
