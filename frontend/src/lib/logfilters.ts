// The Request Logs filters: one shape for the page's inputs, the URL hash query (so a reload or
// a link keeps them) and the admin API query.

import type { LogQuery } from './types';

export interface LogFilters {
  key_id: string;
  provider_id: string;
  /** A part of the model alias or provider model, any case. */
  model: string;
  status: string;
  /** Only failed requests (status >= 400). */
  errors: boolean;
  /** datetime-local values (the browser's time zone), from inclusive, to exclusive. */
  from: string;
  to: string;
  /** One request id. */
  id: string;
}

export const NO_LOG_FILTERS: LogFilters = { key_id: '', provider_id: '', model: '', status: '', errors: false, from: '', to: '', id: '' };

const TEXT = ['key_id', 'provider_id', 'model', 'status', 'from', 'to', 'id'] as const;

/** The filters a URL query names; anything else is ignored. */
export function parseLogFilters(p: URLSearchParams): LogFilters {
  const f: LogFilters = { ...NO_LOG_FILTERS };
  for (const k of TEXT) f[k] = (p.get(k) ?? '').trim();
  f.errors = p.get('errors') === '1';
  return f;
}

/** The URL query of the filters (empty ones left out), for nav.go and href. */
export function logFilterParams(f: LogFilters): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of TEXT) {
    const v = f[k].trim();
    if (v) out[k] = v;
  }
  if (f.errors) out.errors = '1';
  return out;
}

/** Whether two sets of filters select the same rows. */
export function sameLogFilters(a: LogFilters, b: LogFilters): boolean {
  return new URLSearchParams(logFilterParams(a)).toString() === new URLSearchParams(logFilterParams(b)).toString();
}

export function isFiltered(f: LogFilters): boolean {
  return Object.keys(logFilterParams(f)).length > 0;
}

/** A datetime-local value as RFC 3339 UTC, or '' when empty or not a time. */
export function localToISO(v: string): string {
  if (!v.trim()) return '';
  const t = new Date(v);
  return Number.isNaN(t.getTime()) ? '' : t.toISOString();
}

/** Why the filters cannot be applied, or null. */
export function logFilterError(f: LogFilters): string | null {
  if (f.from && !localToISO(f.from)) return 'From is not a date and time';
  if (f.to && !localToISO(f.to)) return 'To is not a date and time';
  if (f.from && f.to && localToISO(f.from) >= localToISO(f.to)) return 'From must be before To';
  return null;
}

/** The admin API query of the filters: the model part is a substring match. */
export function logFilterQuery(f: LogFilters): LogQuery {
  const p = logFilterParams(f);
  return {
    key_id: p.key_id,
    provider_id: p.provider_id,
    model_contains: p.model,
    status: p.status,
    errors: p.errors,
    from: localToISO(f.from) || undefined,
    to: localToISO(f.to) || undefined,
    id: p.id,
  };
}
