// Time buckets for the dashboard charts: per UTC day from usage rows (group_by=day), or per
// local hour from request log rows (today).

import type { RequestLog, UsageRow } from './types';
import { compareText } from './locale';

export interface Bucket {
  /** Bucket start, Unix seconds. */
  t: number;
  requests: number;
  errors: number;
  cost: number;
  tokens: number;
  /** null when the bucket has no requests. */
  p95: number | null;
}

export interface Totals {
  requests: number;
  errors: number;
  cost: number;
  prompt: number;
  completion: number;
  /** Requests the response cache answered, and what they would have cost. */
  hits: number;
  saved: number;
}

export const DAY_MS = 86400e3;
export const HOUR_MS = 3600e3;

/** Nearest-rank percentile (p in 0..100) of values; null for none. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

export function sumRows(rows: UsageRow[]): Totals {
  return rows.reduce<Totals>(
    (t, r) => ({
      requests: t.requests + r.requests,
      errors: t.errors + r.errors,
      cost: t.cost + r.cost,
      prompt: t.prompt + r.prompt_tokens,
      completion: t.completion + r.completion_tokens,
      hits: t.hits + (r.cache_hits ?? 0),
      saved: t.saved + (r.saved ?? 0),
    }),
    { requests: 0, errors: 0, cost: 0, prompt: 0, completion: 0, hits: 0, saved: 0 },
  );
}

/** Start of the UTC day holding d. */
export function utcDay(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

/** Start of the local day holding d. */
export function localDay(d: Date): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}

/** One bucket per UTC day from the day of `from` to the day of `to`, zero-filled. */
export function dayBuckets(rows: UsageRow[], from: Date, to: Date): Bucket[] {
  const byDay = new Map(rows.map((r) => [r.key.slice(0, 10), r]));
  const out: Bucket[] = [];
  for (let d = utcDay(from); d.getTime() <= to.getTime(); d = new Date(d.getTime() + DAY_MS)) {
    const r = byDay.get(d.toISOString().slice(0, 10));
    out.push({
      t: d.getTime() / 1000,
      requests: r?.requests ?? 0,
      errors: r?.errors ?? 0,
      cost: r?.cost ?? 0,
      tokens: r ? r.prompt_tokens + r.completion_tokens : 0,
      p95: r && r.requests > 0 ? r.p95_ms : null,
    });
  }
  return out;
}

/** One bucket per local hour from `from` (rounded down) to `to`, from log rows. */
export function hourBuckets(logs: RequestLog[], from: Date, to: Date): Bucket[] {
  const start = new Date(from);
  start.setMinutes(0, 0, 0);
  const acc: { b: Bucket; lat: number[] }[] = [];
  const index = new Map<number, number>();
  // Step by adding hours to a local Date, so DST days get 23 or 25 buckets, not a skewed grid.
  for (let d = new Date(start); d.getTime() <= to.getTime(); d.setHours(d.getHours() + 1)) {
    index.set(d.getTime(), acc.length);
    acc.push({ b: { t: d.getTime() / 1000, requests: 0, errors: 0, cost: 0, tokens: 0, p95: null }, lat: [] });
  }
  for (const l of logs) {
    const t = new Date(l.time);
    if (t < from || t > to) continue;
    t.setMinutes(0, 0, 0);
    const i = index.get(t.getTime());
    if (i === undefined) continue;
    const a = acc[i];
    a.b.requests++;
    if (l.status >= 400) a.b.errors++;
    a.b.cost += l.cost || 0;
    a.b.tokens += (l.prompt_tokens || 0) + (l.completion_tokens || 0);
    a.lat.push(l.latency_ms);
  }
  return acc.map(({ b, lat }) => ({ ...b, p95: percentile(lat, 95) }));
}

/** Rows sorted by requests (then cost), the first n. */
export function top(rows: UsageRow[], n: number): UsageRow[] {
  return [...rows].sort((a, b) => b.requests - a.requests || b.cost - a.cost || compareText(a.key, b.key)).slice(0, n);
}
