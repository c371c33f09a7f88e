// Display formatting helpers. Intl goes through ./locale, which never hands it an invalid tag.

import { dateTimeFormat, numberFormat, relativeTimeFormat } from './locale';

// Numbers and money are shown the same way in every locale (the UI's labels are English).
const intFmt = numberFormat({ maximumFractionDigits: 0 }, 'en-US');

export function fmtInt(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return intFmt.format(Math.round(n));
}

export function fmtCompact(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return numberFormat({ notation: 'compact', maximumFractionDigits: 1 }, 'en-US').format(n);
}

export function fmtUsd(n: number | null | undefined, digits?: number): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const d = digits ?? (n !== 0 && Math.abs(n) < 0.01 ? 6 : n !== 0 && Math.abs(n) < 1 ? 4 : 2);
  return '$' + numberFormat({ minimumFractionDigits: Math.min(d, 2), maximumFractionDigits: d }, 'en-US').format(n);
}

export function fmtMs(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  if (n >= 10000) return (n / 1000).toFixed(1) + ' s';
  // Sub-10 ms timings (Conduit's own overhead) need their decimals.
  if (n > 0 && n < 0.01) return '<0.01 ms';
  if (n > 0 && n < 1) return n.toFixed(2) + ' ms';
  if (n > 0 && n < 10) return n.toFixed(1) + ' ms';
  return intFmt.format(Math.round(n)) + ' ms';
}

/** A percentage (0–100): more decimals the smaller it is, so a rare error rate never shows as 0%. */
export function fmtPct(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  const a = Math.abs(p);
  const digits = a === 0 || a >= 10 ? 0 : a < 0.1 ? 2 : 1;
  return numberFormat({ minimumFractionDigits: digits, maximumFractionDigits: digits }, 'en-US').format(p) + '%';
}

export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return (i === 0 ? v : v.toFixed(1)) + ' ' + units[i];
}

export function fmtDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return dateTimeFormat({
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(d);
}

/** Compact local time for dense tables: "Nov 26, 08:45:19". */
export function fmtShortTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return dateTimeFormat({ month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(d);
}

export function fmtRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const diff = Math.round((t - now) / 1000);
  const abs = Math.abs(diff);
  const rtf = relativeTimeFormat({ numeric: 'auto' }, 'en');
  if (abs < 60) return rtf.format(diff, 'second');
  if (abs < 3600) return rtf.format(Math.round(diff / 60), 'minute');
  if (abs < 86400) return rtf.format(Math.round(diff / 3600), 'hour');
  return rtf.format(Math.round(diff / 86400), 'day');
}

/** RFC 3339 → value for <input type="datetime-local"> in local time. */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** <input type="datetime-local"> value (local time) → RFC 3339 UTC, or null when empty. */
export function fromLocalInput(v: string): string | null {
  if (!v) return null;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return null;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function statusClass(status: number): 'ok' | 'warn' | 'err' {
  if (status >= 200 && status < 400) return 'ok';
  if (status === 429 || (status >= 400 && status < 500)) return 'warn';
  return 'err';
}

/** Badge class for a notification severity (info, warning, critical). */
export function severityClass(s: string): 'err' | 'warn' | 'ok' | 'info' {
  if (s === 'critical' || s === 'error') return 'err';
  if (s === 'warning' || s === 'warn') return 'warn';
  if (s === 'success') return 'ok';
  return 'info';
}

/** "14:03:07" for today, else "Nov 26, 14:03" (local time), for dense live tables. */
export function fmtClock(iso: string | null | undefined, now = new Date()): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const today = d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  return today
    ? dateTimeFormat({ hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(d)
    : dateTimeFormat({ month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false }).format(d);
}

/** A key's rate limits with the words every label, table and error uses for them. */
export const LIMITS = [
  ['rpm', 'requests per minute'],
  ['rpd', 'requests per day'],
  ['tpm', 'tokens per minute'],
] as const;

/** "1 model", "2 models", "0 models" (nouns that take an s). */
export function plural(n: number, noun: string): string {
  return `${fmtInt(n)} ${noun}${n === 1 ? '' : 's'}`;
}

/** What had reached the client when an attempt continued a stream cut mid-answer: its text
 * and tool input, and the content blocks (or tool calls) begun, when there were any. */
export function fmtContinuation(c: { delivered_bytes: number; blocks?: number }): string {
  const blocks = c.blocks ? ` in ${plural(c.blocks, 'block')}` : '';
  return `after ${fmtBytes(c.delivered_bytes)}${blocks}`;
}
