import { describe, expect, it } from 'vitest';
import { dayBuckets, hourBuckets, percentile, sumRows, top } from './series';
import type { RequestLog, UsageRow } from './types';

const row = (key: string, requests: number, extra: Partial<UsageRow> = {}): UsageRow => ({
  key,
  requests,
  prompt_tokens: 10 * requests,
  completion_tokens: 5 * requests,
  cost: requests / 100,
  errors: 0,
  p50_ms: 100,
  p95_ms: 200,
  ...extra,
});

const log = (time: Date, latency: number, status = 200, cost = 0.001): RequestLog => ({
  id: time.toISOString() + latency,
  time: time.toISOString(),
  key_id: 'k',
  alias: 'a',
  provider_id: 'p',
  provider_model: 'm',
  status,
  error_code: '',
  latency_ms: latency,
  ttfb_ms: 0,
  overhead_ms: 0,
  prompt_tokens: 3,
  completion_tokens: 4,
  cost,
  stream: false,
  attempts: 1,
  client_ip: '',
});

describe('percentile', () => {
  it('uses the nearest rank', () => {
    expect(percentile([], 95)).toBeNull();
    expect(percentile([5], 95)).toBe(5);
    const v = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted
    expect(percentile(v, 95)).toBe(95);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile([1, 2, 3, 1000], 95)).toBe(1000);
  });
});

describe('dayBuckets', () => {
  it('zero-fills every UTC day of the range', () => {
    const from = new Date('2026-03-01T00:00:00Z');
    const to = new Date('2026-03-04T15:00:00Z');
    const b = dayBuckets([row('2026-03-02', 4, { errors: 1 }), row('2026-03-04', 2)], from, to);
    expect(b.map((x) => new Date(x.t * 1000).toISOString().slice(0, 10))).toEqual(['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04']);
    expect(b.map((x) => x.requests)).toEqual([0, 4, 0, 2]);
    expect(b.map((x) => x.errors)).toEqual([0, 1, 0, 0]);
    expect(b.map((x) => x.p95)).toEqual([null, 200, null, 200]);
    expect(b[1].tokens).toBe(60);
  });
});

describe('hourBuckets', () => {
  it('counts log rows per local hour with p95 latency', () => {
    const from = new Date(2026, 2, 5, 0, 0, 0);
    const to = new Date(2026, 2, 5, 2, 30, 0);
    const logs = [
      log(new Date(2026, 2, 5, 0, 10), 100),
      log(new Date(2026, 2, 5, 0, 50), 300, 502, 0),
      log(new Date(2026, 2, 5, 2, 5), 50),
      log(new Date(2026, 2, 4, 23, 59), 999), // yesterday: outside
    ];
    const b = hourBuckets(logs, from, to);
    expect(b).toHaveLength(3);
    expect(b.map((x) => x.requests)).toEqual([2, 0, 1]);
    expect(b.map((x) => x.errors)).toEqual([1, 0, 0]);
    expect(b.map((x) => x.p95)).toEqual([300, null, 50]);
    expect(b[0].cost).toBeCloseTo(0.001);
    expect(b[0].tokens).toBe(14);
    expect(new Date(b[1].t * 1000).getHours()).toBe(1);
  });
});

describe('totals and top', () => {
  it('sums rows and ranks by requests', () => {
    const rows = [row('a', 1), row('b', 5), row('c', 5, { cost: 9 }), row('d', 2)];
    expect(sumRows(rows)).toMatchObject({ requests: 13, prompt: 130, completion: 65 });
    expect(sumRows([{ ...rows[0], cache_hits: 2, saved: 0.5 }, rows[1]])).toMatchObject({ hits: 2, saved: 0.5 });
    expect(top(rows, 3).map((r) => r.key)).toEqual(['c', 'b', 'd']);
  });
});
